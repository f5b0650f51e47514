import Hummingbird
import NIOCore
import PlugHostObservability

/// The seed's BaseResponse, `{"message":"…","timestamp":"…"}`: always in that key order (an
/// encoder backed by a dictionary may change the order from one answer to the next, which breaks
/// clients that compare answers), with the timestamp in ISO 8601 to the second, in UTC.
enum StatusMessage {
    /// `message` is one of the host's own fixed texts, so it needs no JSON escaping.
    static func response(_ message: StaticString) -> Response {
        var body = ByteBuffer()
        body.writeStaticString("{\"message\":\"")
        body.writeStaticString(message)
        body.writeStaticString("\",\"timestamp\":\"")
        body.writeString(LogTimestamp.currentSecond())
        body.writeStaticString("\"}")
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}
