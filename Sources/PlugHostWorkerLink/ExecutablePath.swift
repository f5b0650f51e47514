import Glibc

/// The file of the running program (`/proc/self/exe`, resolved): a supervisor starts its workers
/// and a worker its docs builder from it or beside it, and `plughost plugins new` finds its
/// checkout from it.
package enum ExecutablePath {
    /// Nil where `/proc` is not mounted.
    package static var current: String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, $0.count - 1) }
        }
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length], as: UTF8.self)
    }
}
