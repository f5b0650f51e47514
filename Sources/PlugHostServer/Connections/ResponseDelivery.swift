import NIOCore
import NIOHTTPTypes

/// Learns whether each response reached its connection and writes its request log line then,
/// so the line says what the client got (issue #18: a drained HTTP/2 stream was logged
/// `status=200` although its answer was dropped).
///
/// It sits on every HTTP/1.1 connection and every HTTP/2 stream, next to the connection guard.
/// It notes the status of the response head written and the outcome of the write of its end,
/// which succeeds once the last byte was handed to the socket (through TLS). A write into a
/// TCP connection the client has already closed still succeeds (the kernel takes the bytes; the
/// client's reset comes later), so on HTTP/1.1 a response whose end is written after the client
/// closed its side of the connection counts as not delivered: a client that only half-closes and
/// still reads is rare, one that gave up (a timeout, a cancelled fetch) is not. On HTTP/2 a
/// client that leaves closes its stream, and the write fails. After writing a
/// response, ``ConnectionResponder`` sends the request's ``ResponseLogLine`` down the pipeline
/// (``report(_:on:grace:)``); it arrives after the response's parts, since both travel through
/// the channel's event loop in the order they were sent, and responses on one connection are
/// written one after the other. If the channel is closed by then, the line never arrives and is
/// written as not delivered.
final class ResponseDelivery: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What travels down the pipeline after a response: its log line.
    struct Written: Sendable {
        let line: ResponseLogLine
    }

    private let grace: ShutdownGrace?
    /// The status of the response being written, once its head has been.
    private var status: Int?
    /// The write of its end, once issued.
    private var end: EventLoopFuture<Void>?
    /// The end was written after the client had closed its side of the (HTTP/1.1) connection.
    private var endAfterClientLeft = false
    /// The client closed its side of the connection (HTTP/1.1 only: on a stream that is a request's end).
    private var clientLeft = false
    private var isStream = false

    init(grace: ShutdownGrace?) {
        self.grace = grace
    }

    /// Sends `line` after the response just written on `channel`; the handler writes it once the
    /// response's end is out, or at once as not delivered when the channel is gone.
    static func report(_ line: ResponseLogLine, on channel: any Channel, grace: ShutdownGrace?) {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in line.write(.notDelivered(.lostResponse(grace: grace))) }
        channel.triggerUserOutboundEvent(Written(line: line), promise: promise)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // An HTTP/2 stream's parent is its connection, whose parent is the server.
        isStream = context.channel.parent?.parent != nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !isStream, let event = event as? ChannelEvent, event == .inputClosed { clientLeft = true }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            status = head.status.code
            end = nil
            context.write(data, promise: promise)
        case .end:
            let written = promise ?? context.eventLoop.makePromise()
            end = written.futureResult
            endAfterClientLeft = clientLeft
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let written = event as? Written else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        let (status, end, clientLeft) = (self.status, self.end, endAfterClientLeft)
        self.status = nil
        self.end = nil
        endAfterClientLeft = false
        promise?.succeed()
        let grace = grace
        guard let status, let end, !clientLeft else {
            // The response's head or end never came this way (its write failed early), or the client had left.
            written.line.write(.notDelivered(.lostResponse(grace: grace)))
            return
        }
        end.whenComplete { result in
            switch result {
            case .success: written.line.write(.delivered(status: status))
            case .failure: written.line.write(.notDelivered(.lostResponse(grace: grace)))
            }
        }
    }
}
