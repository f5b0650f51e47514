import NIOCore
import NIOHTTPTypes

/// Learns whether each response reached its connection and writes its request log line then,
/// so the line says what the client got (issue #18: a drained HTTP/2 stream was logged
/// `status=200` although its answer was dropped).
///
/// It sits on every HTTP/1.1 connection and every HTTP/2 stream, next to the connection guard.
/// Before writing a response, ``ConnectionResponder`` leaves the request's ``ResponseLogLine`` in
/// the channel's ``ResponseLineMailbox`` (``expect(_:on:grace:)``). It goes first on purpose:
/// handed over after the write, it could find an HTTP/2 stream already closed by its own
/// END_STREAM, since the event loop runs the write while the request's task goes on. The handler
/// takes the line when the response's end is written, notes the status of the response head,
/// and writes the line once the write of the end has completed: that write succeeds once the
/// last byte was handed to the socket (through TLS). A channel that closes first, or a write that
/// fails, makes the line say `status=aborted`. The line is held in the log queue before the end
/// is written (``ResponseLogLine/hold()``), so a crash after the client got its answer does not
/// lose it.
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

    private let grace: ShutdownGrace?
    private let mailbox = ResponseLineMailbox()
    /// The status of the response being written, once its head has been written.
    private var status: Int?
    /// The client closed its side of the connection (HTTP/1.1 only: on a stream that is a request's end).
    private var clientLeft = false
    private var isStream = false

    init(grace: ShutdownGrace?) {
        self.grace = grace
    }

    /// Leaves `line` for the response about to be written on `channel`. If the channel is gone
    /// already, the line is written at once as not delivered.
    static func expect(_ line: ResponseLogLine, on channel: any Channel, grace: ShutdownGrace?) {
        guard let mailbox = ResponseLineMailboxes.mailbox(of: channel) else {
            return line.write(.notDelivered(.lostResponse(grace: grace)))
        }
        let (refused, stale) = mailbox.put(line)
        stale?.write(.notDelivered(.lostResponse(grace: grace)))
        refused?.write(.notDelivered(.lostResponse(grace: grace)))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // An HTTP/2 stream's parent is its connection, whose parent is the server.
        isStream = context.channel.parent?.parent != nil
        ResponseLineMailboxes.register(mailbox, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ResponseLineMailboxes.unregister(context.channel)
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            status = head.status.code
            context.write(data, promise: promise)
        case .end:
            guard let held = mailbox.take() else {
                context.write(data, promise: promise)
                return
            }
            // Held before the end can reach the client: a worker that crashes once the client
            // has its answer still writes the line (the log queue's crash handler waits for it).
            held.hold()
            let line = held
            let written = promise ?? context.eventLoop.makePromise()
            let (status, clientLeft, grace) = (self.status, self.clientLeft, self.grace)
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

    /// The channel is going away: the line waiting for its response's end, if any, says the
    /// response was not delivered, and a line left later is written so at once (``expect``).
    private func writeUndelivered() {
        status = nil
        mailbox.close()?.write(.notDelivered(.lostResponse(grace: grace)))
    }
}
