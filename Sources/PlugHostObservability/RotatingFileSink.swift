import FoundationEssentials
import Glibc
import PlugHostConfig
import Synchronization

/// Appends log lines to a file and rotates it when it reaches a size: `server.log` becomes
/// `server.log.1`, `.1` becomes `.2`, and so on; the oldest beyond `keep` is deleted.
final class RotatingFileSink: LogSink, Sendable {
    let url: URL
    let maxBytes: Int
    let keep: Int
    private let state: Mutex<(descriptor: Int32, size: Int)>

    init(url: URL, maxBytes: Int, keep: Int, onRotate: @escaping @Sendable () -> Void = {}) throws {
        self.url = url
        self.onRotate = onRotate
        self.maxBytes = maxBytes
        self.keep = keep
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = try Self.open(url)
        state = Mutex((descriptor, Self.size(of: descriptor)))
    }

    deinit {
        state.withLock { _ = close($0.descriptor) }
    }

    /// Appends whole lines; rotates first when they would take the file past `maxBytes`.
    func write(_ lines: UnsafeRawBufferPointer) {
        let rotated = state.withLock { state -> Bool in
            var rotated = false
            if state.size > 0, state.size + lines.count > maxBytes {
                rotate(&state)
                rotated = true
            }
            DescriptorSink.writeAll(state.descriptor, lines)
            state.size += lines.count
            return rotated
        }
        if rotated { onRotate() }
    }

    var crashDescriptor: Int32? { state.withLock { $0.descriptor } }

    /// Called after each rotation (the crash handler's descriptor changed).
    let onRotate: @Sendable () -> Void

    private func rotate(_ state: inout (descriptor: Int32, size: Int)) {
        close(state.descriptor)
        let path = url.path
        if keep == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(keep)")
            for index in stride(from: keep - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        }
        state.descriptor = (try? Self.open(url)) ?? -1
        state.size = 0
    }

    private static func open(_ url: URL) throws -> Int32 {
        let descriptor = Glibc.open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw ConfigError(file: url.path, line: nil, key: "logging.file", message: "cannot open the log file: \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    private static func size(of descriptor: Int32) -> Int {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
    }
}
