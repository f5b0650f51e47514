import Glibc
import HTTPTypes
import NIOCore
import Synchronization

/// The `Date` field (RFC 9110 §6.6.1) of the current second, made once a second: setting its
/// text on each answer searched the answer's fields and checked the text every time. Kept both
/// as a field, for answers whose fields are a list, and as the line of an HTTP/1.1 head, for the
/// answers whose last fields the codec writes as bytes (``HostFieldBytes``).
final class DateField: Sendable {
    private let text: PerSecondText
    private let cache = Mutex<(second: Int, field: HTTPField, line: [UInt8])>((-1, HTTPField(name: .date, value: ""), []))

    init(_ text: PerSecondText) { self.text = text }

    /// Gives `fields` the `Date` of now, in place of any they had.
    func set(in fields: inout HTTPFields) {
        let second = time(nil)
        let field = cache.withLock { cached in
            Self.refresh(&cached, second: second, text: text)
            return cached.field
        }
        if fields.contains(.date) { fields[.date] = nil }
        fields.append(field)
    }

    /// Writes the `Date` of now as a head's line, `Date: …` and CRLF.
    func writeLine(into buffer: inout ByteBuffer) {
        let second = time(nil)
        cache.withLock { cached in
            Self.refresh(&cached, second: second, text: text)
            buffer.writeBytes(cached.line)
        }
    }

    /// The cache made anew when the second has changed.
    private static func refresh(_ cached: inout (second: Int, field: HTTPField, line: [UInt8]), second: Int, text: PerSecondText) {
        guard cached.second != second else { return }
        let field = HTTPField(name: .date, value: text.format(second))
        var line = ByteBuffer()
        HTTP1Codec.encode(field, into: &line)
        cached = (second, field, Array(line.readableBytesView))
    }
}
