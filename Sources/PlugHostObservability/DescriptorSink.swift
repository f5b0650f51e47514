import Foundation

/// Writes log lines to an inherited descriptor, one write per line: a worker's `[logging] file`
/// lines go to the supervisor, which alone writes and rotates the file.
package struct DescriptorSink: LogSink {
    package let descriptor: Int32

    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    package func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in _ = Foundation.write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
