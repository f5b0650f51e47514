import HTTPTypes
import NIOCore
import PlugHostConfig

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
    /// The names these bytes stand for: the security headers' and `Date`.
    private let names: HeaderNameSet
    private let date: DateField

    init(securityHeaders: HTTPFields, date: DateField) {
        var buffer = ByteBuffer()
        for field in securityHeaders { HTTP1Codec.encode(field, into: &buffer) }
        securityLines = Array(buffer.readableBytesView)
        names = HeaderNameSet(securityHeaders.map(\.name) + [.date])
        self.date = date
    }

    /// True when the host writes a field of this name itself: an answer's own is not written.
    func replaces(_ name: HTTPField.Name) -> Bool {
        names.contains(name)
    }

    /// Writes the security headers' lines, then the `Date` line of the current second.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeBytes(securityLines)
        date.writeLine(into: &buffer)
    }
}
