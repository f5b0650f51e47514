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
/// and writes the line once the response's last byte was handed to the socket (through TLS): on
/// an HTTP/2 stream, or for an end written with a promise, when that write completes; on an
/// HTTP/1.1 connection, at the flush that follows the end, which hands every byte to the socket
/// in the usual case, else when ``SocketDrainProbe`` says the bytes left waiting have gone (a
/// promise on the end would cost every response an empty write through the HTTP encoder and
/// TLS). A channel that closes first, or a write that fails, makes the line say `status=aborted`. The line is held in the log queue before the end
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
    /// Whether the client had left when the response being written wrote its last bytes. With a
    /// `Content-Length` the end carries none: a client that has the whole body may close before
    /// the end is written (curl does, on the request loop's streamed files), and got its answer.
    private var leftBeforeLastBytes = false
    /// The response being written ends with bytes of its own (chunked), not by its length.
    private var endCarriesBytes = true
    private var isStream = false
    /// The connection's ``SocketDrainProbe`` (none on an HTTP/2 stream, whose writes have promises).
    private var probe: SocketDrainProbe?
    /// Ends written since the last flush, in order, whose lines wait for it.
    private var unflushed: [Ended] = []

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
        isStream = context.channel.isHTTP2Stream
        if !isStream { probe = try? context.pipeline.syncOperations.handler(type: SocketDrainProbe.self) }
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
            // `contains`, not the subscript: that joins the values into a new string, on every response.
            endCarriesBytes = !head.headerFields.contains(.contentLength)
            leftBeforeLastBytes = clientLeft
            context.write(data, promise: promise)
        case .body:
            leftBeforeLastBytes = clientLeft
            context.write(data, promise: promise)
        case .end:
            guard let line = mailbox.take() else {
                context.write(data, promise: promise)
                return
            }
            // Held before the end can reach the client: a worker that crashes once the client
            // has its answer still writes the line (the log queue's crash handler waits for it).
            line.hold()
            let ended = Ended(line: line, status: status, clientLeft: endCarriesBytes ? clientLeft : leftBeforeLastBytes)
            status = nil
            // An HTTP/1.1 end written without a promise is settled at its flush (``flush``):
            // a promise here would make the HTTP encoder write an empty buffer for it, through
            // TLS, on every response.
            if promise == nil, !isStream, probe != nil {
                unflushed.append(ended)
                return context.write(data, promise: nil)
            }
            let written = promise ?? context.eventLoop.makePromise()
            let grace = self.grace
            written.futureResult.whenComplete { result in ended.settle(result, grace: grace) }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    /// The ends written since the last flush are out once the flush has handed every byte to the
    /// socket, as their write promises would say, which is the usual case. A flush that leaves
    /// bytes waiting (a client that reads slowly) asks the ``SocketDrainProbe`` to say when they
    /// have gone; a connection that closes first did not get them.
    func flush(context: ChannelHandlerContext) {
        context.flush()
        guard !unflushed.isEmpty else { return }
        let grace = self.grace
        // Settled in place in the usual cases, and emptied keeping the room: a copy of the list
        // first would make emptying it allocate a new one on every flush.
        let outcome: Result<Void, any Error>? = if !context.channel.isActive {
            .failure(ChannelError.ioOnClosedChannel)
        } else if (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 1 == 0 {
            .success(())
        } else {
            nil
        }
        if let outcome {
            for response in unflushed { response.settle(outcome, grace: grace) }
            unflushed.removeAll(keepingCapacity: true)
            return
        }
        let ended = unflushed
        unflushed = []
        let drained = context.eventLoop.makePromise(of: Void.self)
        drained.futureResult.whenComplete { result in
            for response in ended { response.settle(result, grace: grace) }
        }
        probe?.whenDrained(drained)
    }

    /// A response's end written, and what its line needs once it is known whether it went out.
    private struct Ended {
        let line: ResponseLogLine
        /// The status of the response head, if one was written.
        let status: Int?
        let clientLeft: Bool

        func settle(_ result: Result<Void, any Error>, grace: ShutdownGrace?) {
            if case .success = result, let status, !clientLeft {
                line.write(.delivered(status: status))
            } else {
                line.write(.notDelivered(.lostResponse(grace: grace)))
            }
        }
    }

    /// The channel is going away: the line waiting for its response's end, if any, and those of
    /// ends written but never flushed say the response was not delivered, and a line left later
    /// is written so at once (``expect``).
    private func writeUndelivered() {
        status = nil
        for response in unflushed { response.settle(.failure(ChannelError.ioOnClosedChannel), grace: grace) }
        unflushed.removeAll()
        mailbox.close()?.write(.notDelivered(.lostResponse(grace: grace)))
    }
}
