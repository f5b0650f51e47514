import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// The HTTPS child channel (HTTP/1.1 or HTTP/2 by ALPN) with ``FlushBeforeClose`` right behind
/// the TLS handler of every connection.
///
/// Why: a draining HTTP/2 connection lost the answer of every stream it had accepted. On SIGTERM
/// Hummingbird's `HTTP2ServerConnectionManager` sends GOAWAY, then a second GOAWAY whose
/// `last_stream_id` covers the open streams, and closes the connection when the last of them
/// closes. NIOHTTP2 reports a stream closed from inside the write of its END_STREAM frame:
/// `NIOHTTP2Handler.processOutboundFrame` writes the frame (no flush yet), then delivers the
/// stream-closed event, on which the manager calls `close()` at once; the handler's own flush
/// comes only after that. The close reaches `NIOSSLHandler` with the response's HEADERS and DATA
/// written but not flushed, and NIOSSL sends `close_notify` and drops them. The client saw the
/// GOAWAY that promised an answer and then the end of the connection (`h2load -c20 -m1`: 0 of 20).
/// HTTP/1.1 is not affected: the connection guard closes only once the response's write completed.
///
/// The fix flushes what was written before letting a close pass: whoever closes the connection,
/// bytes already handed to the pipeline go out first, then TLS says goodbye.
struct FlushingHTTPSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let value = base.setup(channel: channel, logger: logger)
        do {
            // `base.setup` added the TLS handler synchronously (we are on the channel's loop);
            // the HTTP handlers follow it once ALPN has chosen, so this goes between the two.
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            try channel.pipeline.syncOperations.addHandler(FlushBeforeClose(), position: .after(tls))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return value
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Flushes the writes ahead of a close, so that a close never overtakes bytes already written.
final class FlushBeforeClose: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .input { context.flush() }
        context.close(mode: mode, promise: promise)
    }
}
