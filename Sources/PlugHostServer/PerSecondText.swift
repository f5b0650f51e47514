import FoundationEssentials
import Glibc
import Synchronization

/// The current second formatted with a `strftime` pattern in UTC, formatted once per second
/// however many responses ask for it (the `Date` header, the status messages' timestamp).
final class PerSecondText: Sendable {
    private let pattern: String
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    init(_ pattern: String) { self.pattern = pattern }

    var now: String {
        let second = time(nil)
        return cache.withLock { cached in
            if cached.second != second {
                cached = (second, format(second))
            }
            return cached.text
        }
    }

    func format(_ second: time_t) -> String {
        var seconds = second
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        // strftime's %a and %b follow the C locale, which this process never changes.
        let length = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
