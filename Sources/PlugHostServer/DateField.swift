import Glibc
import HTTPTypes
import Synchronization

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
