import Foundation
import HTTPTypes
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

/// The `Date` field (RFC 9110 §6.6.1) of the current second, made once a second: setting its
/// text on each answer searched the answer's fields and checked the text every time.
final class DateField: Sendable {
    private let text: PerSecondText
    private let cache = Mutex<(second: Int, field: HTTPField)>((-1, HTTPField(name: .date, value: "")))

    init(_ text: PerSecondText) { self.text = text }

    /// Gives `fields` the `Date` of now, in place of any they had.
    func set(in fields: inout HTTPFields) {
        let second = time(nil)
        let field = cache.withLock { cached in
            if cached.second != second {
                cached = (second, HTTPField(name: .date, value: text.format(second)))
            }
            return cached.field
        }
        if fields.contains(.date) { fields[.date] = nil }
        fields.append(field)
    }
}
