import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import PlugHostConfig

/// An HTTP/2 connection (after ALPN chose h2 in ``HTTPSChannel``): Hummingbird's `HTTP2Channel`,
/// rebuilt here because it fixes what must change and offers no way to change it — it sets
/// NIOHTTP2 up with its defaults and its own connection manager. Here:
///
/// - ``HTTP2ConnectionManager`` in place of Hummingbird's: timeouts for a client that ignores
///   the idle GOAWAY's PING, and truthful GOAWAYs before every close the host decides.
/// - ``HTTP2StreamWatch`` first on every stream: the bound on buffered response bytes and
///   `[limits] send_timeout`.
/// - NIOHTTP2's own rapid-reset limit raised above the manager's (which says which streams it took).
/// - The header list limit from `[limits]`: NIOHTTP2 starts with a fixed 16 KiB
///   SETTINGS_MAX_HEADER_LIST_SIZE; a second SETTINGS frame announces `http2HeaderListBytes`
///   (``HeaderDecodingBounds``), which
///   NIOHTTP2's decoder applies once the client acknowledges it. A header block within it is
///   decoded, so the connection's HPACK state stays whole, and reaches the ``ConnectionGuard`` on
///   its stream, which answers 431 past `max_header_size` on that stream alone.
/// - A stream the client cancelled before its handler ran is not handed to the router (no plugin
///   call, no log line; counted in `plughost_http2_streams_reset_total`).
///
/// - A stream gets Hummingbird's request loop (an async channel and a task) only when
///   ``EventLoopFastPath`` passes its request on (``RequestLoopOnDemand``): the streams it answers
///   itself cost neither. The connection's task runs the loops of the streams passed on.
///
/// Streams are otherwise served exactly as Hummingbird serves them: its HTTP/2 ↔ HTTP types codec,
/// the same handlers as an HTTP/1.1 connection's (`streamConfiguration`), and its request loop.
struct HTTP2Connection: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        /// The streams passed on to the request loop; it ends when the connection closes.
        let streams: AsyncStream<HTTP2Stream.Value>
        let channel: any Channel
    }

    private let stream: HTTP2Stream
    private let limits: LimitSettings
    private let events: ConnectionEvents

    init(limits: LimitSettings, events: ConnectionEvents, streamConfiguration: HTTP1Channel.Configuration,
         responder: @escaping HTTPChannelHandler.Responder) {
        stream = HTTP2Stream(configuration: streamConfiguration) { request, writer, channel in
            // The client reset the stream before its handler could run (rapid reset sends
            // thousands of these): nothing to answer, so nothing reaches the router or a plugin.
            // This task may start on another core while the event loop is still reading the
            // frames that came with the request's HEADERS, its RST_STREAM among them: asking the
            // event loop lets it finish that read first. A task already on that event loop (the
            // usual case: connections run on their own loop) runs only after the read is done,
            // and asks without the hop.
            guard try await channel.isActiveAfterPendingReads() else {
                events.cancelledBeforeHandler()
                return
            }
            try await responder(request, writer, channel)
        }
        self.limits = limits
        self.events = events
    }

    /// NIOHTTP2 with its defaults except its rapid-reset limit, raised above the manager's so that
    /// the manager's GOAWAY (with the true last stream) comes first; NIOHTTP2's remains a backstop.
    static var configuration: NIOHTTP2Handler.Configuration {
        var configuration = NIOHTTP2Handler.Configuration()
        configuration.stream.streamResetFrameRateLimit.maximumCount = HTTP2ConnectionManager.maxPeerResets * 2
        configuration.stream.streamResetFrameRateLimit.windowLength = HTTP2ConnectionManager.resetWindow
        return configuration
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let stream = stream, limits = limits, events = events
        return channel.eventLoop.makeCompletedFuture {
            let manager = HTTP2ConnectionManager(idleSeconds: limits.idleTimeout, pingAckSeconds: limits.requestHeadTimeout, events: events)
            let boundManager = NIOLoopBound(manager, eventLoop: channel.eventLoop)
            let (streams, passedOn) = AsyncStream.makeStream(of: HTTP2Stream.Value.self)
            channel.closeFuture.whenComplete { _ in passedOn.finish() }
            // Below NIOHTTP2: the streams' answers of one batch of reads leave in one write.
            try channel.pipeline.syncOperations.addHandler(BatchedFlush())
            _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                mode: .server,
                connectionConfiguration: Self.configuration.connection,
                streamConfiguration: Self.configuration.stream,
                streamDelegate: HTTP2ConnectionManager.StreamDelegate(manager: boundManager)
            ) { streamChannel -> EventLoopFuture<Void> in
                streamChannel.eventLoop.makeCompletedFuture {
                    try streamChannel.pipeline.syncOperations.addHandler(
                        HTTP2StreamWatch(connection: boundManager.value, sendTimeout: limits.sendTimeout, events: events))
                    try stream.setup(channel: streamChannel, logger: logger) { loop in passedOn.yield(loop) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(manager)
            let settings = HTTP2Settings([HTTP2Setting(parameter: .maxHeaderListSize, value: limits.http2HeaderListBytes)])
            channel.writeAndFlush(HTTP2Frame(streamID: .rootStream, payload: .settings(.settings(settings))), promise: nil)
            return Value(streams: streams, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for await streamChannel in value.streams {
                    group.addTask { await stream.handle(value: streamChannel, logger: logger) }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection ended: \(error)")
        }
    }
}

/// One HTTP/2 stream, as Hummingbird serves it: its codec, the connection handlers of
/// `configuration` (``ConnectionGuard``, ``ResponseDelivery``, ``EventLoopFastPath``), and
/// Hummingbird's request loop, started only for a request the fast path passes on.
struct HTTP2Stream: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let configuration: HTTP1Channel.Configuration
    let responder: HTTPChannelHandler.Responder

    /// `startLoop`: called on the event loop with the stream's async channel once a request part
    /// reaches the request loop.
    func setup(channel: any Channel, logger: Logger, startLoop: @escaping (Value) -> Void) throws {
        try addHandlers(to: channel, logger: logger)
        try channel.pipeline.syncOperations.addHandler(RequestLoopOnDemand(start: startLoop))
    }

    /// The stream with its request loop from the start, as the protocol sets a channel up
    /// (``HTTP2Connection`` uses the on-demand setup above).
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try addHandlers(to: channel, logger: logger)
            return try Value(wrappingChannelSynchronously: channel)
        }
    }

    private func addHandlers(to channel: any Channel, logger: Logger) throws {
        try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPServerCodec())
        try channel.pipeline.syncOperations.addHandlers(configuration.additionalChannelHandlers())
        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension Channel {
    /// An HTTP/2 stream, not a connection: a stream's parent is its connection, whose parent is the server.
    var isHTTP2Stream: Bool { parent?.parent != nil }

    /// Whether the channel is still open once its event loop has finished what it is doing now
    /// (a read that may carry the stream's reset): at once on that event loop, else by asking it.
    func isActiveAfterPendingReads() async throws -> Bool {
        if eventLoop.inEventLoop { return isActive }
        return try await eventLoop.submit { self.isActive }.get()
    }
}
