import NIOCore
import NIOHTTP2

/// Closes a connection that has no complete first request head `[limits] request_head_timeout`
/// after it was accepted, TLS handshake included: without it a client that connects and says
/// nothing, or never finishes its handshake, holds its place in `max_connections` for ever.
///
/// It is the first handler of every connection, so it knows nothing of the protocol; the
/// protocol's handlers tell it how far the client got. An HTTP/1.1 connection's
/// ``ConnectionGuard`` takes the deadline over as soon as it is in place (it answers 408 when the
/// deadline passes); an HTTP/2 connection's first stream head ends it. A connection that
/// reaches neither is closed here, counted and logged (``ConnectionEvents``).
final class FirstRequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let deadline: NIODeadline
    private let seconds: Double
    private let events: ConnectionEvents
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(seconds: Double, events: ConnectionEvents) {
        deadline = .now() + .nanoseconds(Int64(seconds * 1e9))
        self.seconds = seconds
        self.events = events
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.expire()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// The deadline of the connection `pipeline` belongs to, now kept by the caller (the
    /// connection's ``ConnectionGuard``); nil if the connection has none.
    static func takeOver(on pipeline: ChannelPipeline) -> NIODeadline? {
        guard let handler = try? pipeline.syncOperations.handler(type: FirstRequestDeadline.self) else { return nil }
        handler.standDown()
        return handler.deadline
    }

    /// A request head arrived on the connection `pipeline` belongs to: the deadline is met.
    static func requestHeadArrived(on pipeline: ChannelPipeline) {
        (try? pipeline.syncOperations.handler(type: FirstRequestDeadline.self))?.standDown()
    }

    private func standDown() {
        timer?.cancel()
        timer = nil
        if let context { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    private func expire() {
        timer = nil
        guard let context, context.channel.isActive else { return }
        // HTTP/2 (the only protocol that does not take the deadline over) is set up once the TLS
        // handshake has ended: without it the handshake has not.
        let inHandshake = (try? context.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)) == nil
        events.timedOutBeforeFirstRequest(address: context.channel.remoteAddress?.ipAddress ?? "unknown", inHandshake: inHandshake, seconds: seconds)
        context.close(promise: nil)
    }
}
