import NIOCore
import NIOHTTP2

/// The first handler of every HTTP/2 stream: bounds the response bytes the stream holds for a
/// client that does not take them, and tells the connection (``HTTP2ConnectionManager``) when the
/// client cancels the stream.
///
/// A client can announce a flow-control window of 0 and never open it: every DATA frame written
/// then waits in NIOHTTP2's buffers, with no timeout (1,000 such streams on a large static file
/// held 1.1 GB). Here each DATA frame's bytes are counted from its write until NIOHTTP2 has sent
/// it (its promise completes), for the stream and for its connection:
///
/// - **`[limits] send_timeout`**: a stream with bytes waiting and none taken for that long is
///   reset (RST_STREAM) and the reset logged, at most once every 10 s per client.
/// - **The bounds** ``maxBufferedBytesPerStream`` and ``maxBufferedBytesPerConnection``: a write
///   that would take the stream or its connection past them, while the stream already has bytes
///   waiting, resets the stream. Writers that wait for the stream to be writable (the static
///   files, which go out a chunk at a time: ``StreamedFileSystem``) never come near them; a
///   writer that does not is stopped.
final class HTTP2StreamWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    static let maxBufferedBytesPerStream = 1 << 20
    static let maxBufferedBytesPerConnection = 16 << 20

    private let connection: HTTP2ConnectionManager
    private let sendTimeout: Double
    private let events: ConnectionEvents
    /// Bytes written on this stream and not yet sent.
    private var waiting = 0
    /// When the client last took bytes (or the first bytes began to wait).
    private var lastProgress = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var reset = false

    init(connection: HTTP2ConnectionManager, sendTimeout: Double, events: ConnectionEvents) {
        self.connection = connection
        self.sendTimeout = sendTimeout
        self.events = events
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .data(let frame) = unwrapOutboundIn(data), frame.data.readableBytes > 0 else {
            context.write(data, promise: promise)
            return
        }
        let bytes = frame.data.readableBytes
        if waiting > 0, waiting + bytes > Self.maxBufferedBytesPerStream || connection.bufferedBytes + bytes > Self.maxBufferedBytesPerConnection {
            promise?.fail(ChannelError.ioOnClosedChannel)
            resetStream(context: context, reason: .bufferedBytes)
            return
        }
        if waiting == 0 { lastProgress = .now() }
        waiting += bytes
        connection.bufferedBytes += bytes
        let sent = context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.assumeIsolated().whenComplete { [self] result in
            waiting -= bytes
            connection.bufferedBytes -= bytes
            lastProgress = .now()
            promise?.completeWith(result)
        }
        context.write(data, promise: sent)
    }

    /// The send timer starts only for bytes a flush could not send: the usual answer leaves with
    /// its flush (its writes complete during it), so it costs no timer to schedule and cancel.
    func flush(context: ChannelHandlerContext) {
        context.flush()
        if waiting > 0, timer == nil, !reset { scheduleTimer(context: context, at: lastProgress + Self.amount(sendTimeout)) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIOHTTP2 reports a stream closed with an error code as this error: the client's
        // RST_STREAM, unless this handler reset the stream itself.
        if error is NIOHTTP2Errors.StreamClosed, !reset { connection.streamResetByPeer() }
        context.fireErrorCaught(error)
    }

    private func scheduleTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired(context: context)
        }
    }

    /// One timer per stream, moved only when it fires: progress updates a time, not a timer.
    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard waiting > 0, !reset else { return }
        let due = lastProgress + Self.amount(sendTimeout)
        if due <= .now() {
            resetStream(context: context, reason: .sendTimeout)
        } else {
            scheduleTimer(context: context, at: due)
        }
    }

    /// Closing a stream channel whose stream is open sends RST_STREAM (CANCEL); NIOHTTP2 fails
    /// the writes still waiting, which returns their bytes to the connection's count.
    private func resetStream(context: ChannelHandlerContext, reason: HTTP2StreamEnd) {
        guard !reset else { return }
        reset = true
        timer?.cancel()
        timer = nil
        events.resetStream(address: context.channel.parent?.remoteAddress?.ipAddress ?? "unknown", reason: reason, seconds: sendTimeout)
        context.close(promise: nil)
    }

    private static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
