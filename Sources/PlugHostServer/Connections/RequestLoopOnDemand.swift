import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// The last handler of an HTTP/2 stream: it starts Hummingbird's request loop for the stream
/// only when a request part reaches it, that is, when ``EventLoopFastPath`` did not answer the
/// request itself. A stream the fast path answers never gets an async channel or a task: on
/// HTTP/2 every request is a stream, and those cost more than the host's own work for it.
///
/// On the first part it wraps the stream in its `NIOAsyncChannel` (which adds its handler behind
/// this one, before the part is passed on, so nothing is dropped) and hands it to `start`, which
/// runs the request loop in the connection's task.
final class RequestLoopOnDemand: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias Loop = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    private let start: (Loop) -> Void
    private var started = false

    init(start: @escaping (Loop) -> Void) {
        self.start = start
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !started {
            started = true
            do {
                start(try Loop(wrappingChannelSynchronously: context.channel))
            } catch {
                context.fireErrorCaught(error)
                return
            }
        }
        context.fireChannelRead(data)
    }
}
