import NIOCore
import NIOHTTPTypes

/// Learns whether each response reached its connection and writes its request log line then,
/// so the line says what the client got (issue #18: a drained HTTP/2 stream was logged
/// `status=200` although its answer was dropped).
///
/// It sits on every HTTP/1.1 connection and every HTTP/2 stream, next to the connection guard.
/// Before writing a response, ``ConnectionResponder`` sends the request's ``ResponseLogLine``
/// down the pipeline (``expect(_:on:grace:)``). It goes first on purpose: sent after the write,
/// it could find an HTTP/2 stream already closed by its own END_STREAM and its pipeline torn
/// down, since the event loop runs the write while the request's task goes on. The handler keeps
/// the line, notes the status of the response head written, and writes the line once the write
/// of the response's end has completed: that write succeeds once the last byte was handed to the
/// socket (through TLS). A channel that closes first, or a write that fails, makes the line say
/// `status=aborted`. The line is held in the log queue before the end is written
/// (``ResponseLogLine/hold()``), so a crash after the client got its answer does not lose it.
///
/// A write into a TCP connection the client has already closed still succeeds (the kernel takes
/// the bytes; the client's reset comes later), so on HTTP/1.1 a response whose end is written
/// after the client closed its side of the connection counts as not delivered: a client that
/// only half-closes and still reads is rare, one that gave up (a timeout, a cancelled fetch) is
/// not. On HTTP/2 a client that leaves closes its stream, and the write fails.
final class ResponseDelivery: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What travels down the pipeline ahead of a response: its log line.
    struct Expected: Sendable {
        let line: ResponseLogLine
    }

    private let grace: ShutdownGrace?
    /// The line of the response being written, until the write of its end is issued.
    private var line: ResponseLogLine?
    /// The status of that response, once its head has been written.
    private var status: Int?
    /// The client closed its side of the connection (HTTP/1.1 only: on a stream that is a request's end).
    private var clientLeft = false
    private var isStream = false

    init(grace: ShutdownGrace?) {
        self.grace = grace
    }

    /// Sends `line` ahead of the response about to be written on `channel`. If the channel is
    /// gone already, the line is written at once as not delivered.
    static func expect(_ line: ResponseLogLine, on channel: any Channel, grace: ShutdownGrace?) {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in line.write(.notDelivered(.lostResponse(grace: grace))) }
        channel.triggerUserOutboundEvent(Expected(line: line), promise: promise)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // An HTTP/2 stream's parent is its connection, whose parent is the server.
        isStream = context.channel.parent?.parent != nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        writeUndelivered()
    }

    func channelInactive(context: ChannelHandlerContext) {
        writeUndelivered()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !isStream, let event = event as? ChannelEvent, event == .inputClosed { clientLeft = true }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let expected = event as? Expected else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        // Responses on one connection are written one after the other: a line still here belongs
        // to a response whose end never came this way.
        writeUndelivered()
        line = expected.line
        status = nil
        promise?.succeed()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            status = head.status.code
            context.write(data, promise: promise)
        case .end:
            guard var held = line else {
                context.write(data, promise: promise)
                return
            }
            // Held before the end can reach the client: a worker that crashes once the client
            // has its answer still writes the line (the log queue's crash handler waits for it).
            held.hold()
            let line = held
            let written = promise ?? context.eventLoop.makePromise()
            let (status, clientLeft, grace) = (self.status, self.clientLeft, self.grace)
            self.line = nil
            self.status = nil
            written.futureResult.whenComplete { result in
                if case .success = result, let status, !clientLeft {
                    line.write(.delivered(status: status))
                } else {
                    line.write(.notDelivered(.lostResponse(grace: grace)))
                }
            }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    /// The response the line was waiting for will not be written here: the channel closed, or the
    /// write failed before its end.
    private func writeUndelivered() {
        guard let line else { return }
        self.line = nil
        status = nil
        line.write(.notDelivered(.lostResponse(grace: grace)))
    }
}
