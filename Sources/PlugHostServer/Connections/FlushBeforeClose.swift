import NIOCore

/// Flushes the writes ahead of a close, so that a close never overtakes bytes already written.
/// ``HTTPSChannel`` puts it right behind the TLS handler of every HTTPS connection.
///
/// Why: a draining HTTP/2 connection lost the answer of every stream it had accepted. On SIGTERM
/// Hummingbird's `HTTP2ServerConnectionManager` sends GOAWAY, then a second GOAWAY whose
/// `last_stream_id` covers the open streams, and closes the connection when the last of them
/// closes. NIOHTTP2 reports a stream closed from inside the write of its END_STREAM frame:
/// `NIOHTTP2Handler.processOutboundFrame` writes the frame (no flush yet), then delivers the
/// stream-closed event, on which the manager calls `close()` at once; the handler's own flush
/// comes only after that. The close reached `NIOSSLHandler` with the response's HEADERS and DATA
/// written but not flushed, and NIOSSL sent `close_notify` and dropped them. The client saw the
/// GOAWAY that promised an answer and then the end of the connection (`h2load -c20 -m1` on a
/// 3-second route, SIGTERM at 1 s: 0 of 20 answered). HTTP/1.1 is not affected: the connection
/// guard closes only once the response's write has completed.
///
/// Flushing first lets whoever closes the connection do so safely: bytes already handed to the
/// pipeline go out, then TLS says goodbye.
final class FlushBeforeClose: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .input { context.flush() }
        context.close(mode: mode, promise: promise)
    }
}
