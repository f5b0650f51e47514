import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers a plain `GET` of a small static file that ``StaticFileCache`` holds on the
/// connection's event loop, as its request head arrives: no task, no async step, no hop. The
/// answer is made by the same layers as every other (``HostMiddleware/cachedStaticAnswer(_:context:)``:
/// the request log's lines, the metrics, CORS, the security headers, `Cache-Control`), gets its
/// `Date` and leaves its response line for ``ResponseDelivery`` as ``ConnectionResponder`` does,
/// and goes out through the same handlers (``ResponseDelivery``, ``ConnectionGuard``). Everything
/// else — an API path, a cache miss, `HEAD`, a conditional or ranged request, `Connection: close`
/// — is passed on to Hummingbird's request loop untouched.
///
/// On an HTTP/1.1 connection, and on an HTTP/2 stream (which carries one request), only while no
/// earlier request of the connection is still being answered by the request loop: answers leave
/// in the order the requests came (pipelining).
final class StaticFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let layers: HostMiddleware
    private let grace: ShutdownGrace?
    private let logger: Logger
    /// Requests passed on to the request loop whose response has not ended yet.
    private var passedOn = 0
    /// The rest of a request answered here (its body, its end) is read and dropped.
    private var skippingRequest = false

    init(layers: HostMiddleware, grace: ShutdownGrace?, logger: Logger) {
        self.layers = layers
        self.grace = grace
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, answer(head, context: context) {
                skippingRequest = true
                return
            }
            passedOn += 1
        case .body:
            if skippingRequest { return }
        case .end:
            if skippingRequest {
                skippingRequest = false
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    /// Writes the cached answer to `head`; false when it is not one this path answers.
    private func answer(_ head: HTTPRequest, context: ChannelHandlerContext) -> Bool {
        guard head.method == .get, head.headerFields[.connection] == nil, let path = head.path,
              !path.hasPrefix("/api/"), path != "/api" else { return false }
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        let requestContext = HostRequestContext(source: .init(channel: context.channel, logger: logger))
        guard let answer = layers.cachedStaticAnswer(request, context: requestContext) else { return false }
        var response = answer.head
        let body = answer.body
        response.headerFields[.date] = httpDate.now
        if let line = requestContext.logFields.responseLine {
            ResponseDelivery.expect(line, on: context.channel, grace: grace)
        }
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        return true
    }
}
