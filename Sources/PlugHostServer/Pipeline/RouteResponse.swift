import HTTPTypes
import Hummingbird
import NIOCore
import PlugHostPlugins
import PlugHostRateLimit

/// A response as the host's layers pass it outwards: the status and headers they change, and the
/// body. Every response the host or a plugin makes carries its body as bytes, which the
/// event-loop fast path (``EventLoopFastPath``) writes without a task; Hummingbird's
/// `ResponseBody` gives its bytes only through an `async` write, so a response from
/// Hummingbird's side (a built-in route, a static file) keeps that body as it is.
struct RouteResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body

    enum Body: Sendable {
        case bytes(ByteBuffer)
        case written(ResponseBody)
    }

    /// Says its length as Hummingbird's `Response` does for a body of known length, so that the
    /// response hooks see the same headers whichever path the request takes.
    init(status: HTTPResponse.Status, headers: HTTPFields, bytes: ByteBuffer) {
        self.status = status
        self.headers = headers
        if !headers.contains(.contentLength) { self.headers[.contentLength] = String(bytes.readableBytes) }
        body = .bytes(bytes)
    }

    init(_ response: Response) {
        status = response.status
        headers = response.headers
        body = .written(response.body)
    }

    init(_ answer: PluginAnswer) {
        self.init(status: answer.status, headers: answer.headers, bytes: answer.body)
    }

    init(_ refusal: RateLimiter.Refusal) {
        self.init(status: refusal.status, headers: refusal.headers, bytes: refusal.body)
    }

    var response: Response {
        switch body {
        case .bytes(let bytes): Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
        case .written(let body): Response(status: status, headers: headers, body: body)
        }
    }
}
