import FoundationEssentials
import Glibc
import PlugHostThreads

/// Reading a pipe or socket to its end, for the supervisor's threads and the control client.
package enum DescriptorReader {
    /// Calls `handle` with every run of complete lines (newlines included) read from
    /// `descriptor`, then with what is left after the last newline, if anything. When a read
    /// finds less than a full buffer, waits `gather` before the next, so that lines written one
    /// by one are read many at a time.
    package static func forEachRun(of descriptor: Int32, gather: Duration = .zero, _ handle: (String) -> Void) {
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: buffer[..<count])
            if let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) {
                handle(String(decoding: pending[...lastNewline], as: UTF8.self))
                pending.removeSubrange(...lastNewline)
            }
            if gather > .zero, count < buffer.count / 2 {
                OSThread.sleep(seconds: Double(gather.components.seconds) + Double(gather.components.attoseconds) / 1e18)
            }
        }
        if !pending.isEmpty { handle(String(decoding: pending, as: UTF8.self)) }
    }

    /// Calls `handle` with each line read from `descriptor`, without its newline.
    package static func forEachLine(of descriptor: Int32, _ handle: (Substring) -> Void) {
        forEachRun(of: descriptor) { run in
            for line in run.split(separator: "\n", omittingEmptySubsequences: false).dropLast(run.hasSuffix("\n") ? 1 : 0) {
                handle(line)
            }
        }
    }
}
