import Glibc
import HTTPTypes
import NIOCore
import Synchronization

/// The fields the host gives every answer last — the security headers, then the `Date` — as the
/// bytes of an HTTP/1.1 head, for ``HTTP1Codec`` to write after an answer's own fields.
///
/// Added to an answer's `HTTPFields`, these seven fields were copied into its list (three
/// references each), checked for names already there, encoded one by one and released again,
/// on every answer: about 4 % of a plugin route's time. As bytes they are one copy: the
/// security headers' lines are made once, the `Date` line once a second. The fast path uses
/// them for the answers it writes on an HTTP/1.1 connection (``EventLoopFastPath``); every
/// other answer gets the same fields as `HTTPFields`, from ``SecurityHeaders`` and ``DateField``,
/// and the bytes on the wire are the same either way. Fields of these names that an answer
/// carries itself are not written: the host's replace them, as ``SecurityHeaders`` replaces them.
final class HostFieldBytes: Sendable {
    /// The security headers' lines, `Name: value` and CRLF each, in ``SecurityHeaders``' order.
    private let securityLines: [UInt8]
    /// The canonical names these bytes stand for, by their length (an answer's own field is
    /// usually told apart by its length alone, without comparing text).
    private let namesByLength: [[String]]
    private let date: PerSecondText
    private let dateLine = Mutex<(second: Int, line: [UInt8])>((-1, []))

    init(securityHeaders: HTTPFields, date: PerSecondText) {
        var buffer = ByteBuffer()
        for field in securityHeaders { HTTP1Codec.encode(field, into: &buffer) }
        securityLines = Array(buffer.readableBytesView)
        let names = securityHeaders.map(\.name.canonicalName) + [HTTPField.Name.date.canonicalName]
        var byLength = [[String]](repeating: [], count: (names.map(\.utf8.count).max() ?? 0) + 1)
        for name in names { byLength[name.utf8.count].append(name) }
        namesByLength = byLength
        self.date = date
    }

    /// True when the host writes a field of this name itself: an answer's own is not written.
    func replaces(_ name: HTTPField.Name) -> Bool {
        let canonical = name.canonicalName
        let length = canonical.utf8.count
        return length < namesByLength.count && namesByLength[length].contains(canonical)
    }

    /// Writes the security headers' lines, then the `Date` line of the current second.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeBytes(securityLines)
        let second = time(nil)
        dateLine.withLock { cached in
            if cached.second != second {
                cached = (second, Array("Date: \(date.format(second))\r\n".utf8))
            }
            buffer.writeBytes(cached.line)
        }
    }
}
