import FoundationEssentials
import Glibc

/// Writes log lines to an inherited descriptor: a worker's `[logging] file` lines go to the
/// supervisor, which alone writes and rotates the file.
package struct DescriptorSink: LogSink {
    package let descriptor: Int32

    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    package func write(_ lines: UnsafeRawBufferPointer) { Self.writeAll(descriptor, lines) }

    package var crashDescriptor: Int32? { descriptor }

    /// Writes every byte unless the descriptor fails (a closed pipe: the supervisor is gone).
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
