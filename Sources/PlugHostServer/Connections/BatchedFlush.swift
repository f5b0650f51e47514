import NIOCore

/// Holds an HTTP/2 connection's flushes until the end of the event loop's batch of reads
/// (``EndOfTickFlush``), so that the answers of every stream made in that batch leave in one
/// write (one TLS flush) instead of one each.
///
/// Why: the fast path answers an HTTP/2 stream in a task after the read that brought it (so
/// that a reset in the same read cancels it), where NIOHTTP2 no longer coalesces flushes: each
/// stream's flush became a flush of the connection, through TLS, and a `write` per answer
/// (docs/PERFORMANCE.md, seventh round). It sits between TLS and NIOHTTP2, below every stream.
/// Whatever could end the connection meanwhile — a close, the client's end, an error — passes
/// here and flushes first, and ``FlushBeforeClose`` below flushes again before a close. More
/// than ``EndOfTickFlush/largestBatch`` bytes written since the last flush are flushed at once:
/// a large answer (a static file, a chunk at a time) goes out as it is written, as before, and
/// ``HTTP2StreamWatch`` sees its bytes leave rather than pile up.
final class BatchedFlush: ChannelDuplexHandler, RemovableChannelHandler, FlushOwing {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var owedFlush: OwedFlush?

    func handlerAdded(context: ChannelHandlerContext) {
        owedFlush = OwedFlush(on: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        payOwedFlush(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Below NIOHTTP2 everything written is bytes (TLS takes nothing else).
        if case .byteBuffer(let buffer) = unwrapOutboundIn(data) { owedFlush?.wrote(buffer.readableBytes) }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard owedFlush != nil else { return context.flush() }
        owedFlush?.flush(by: self, context: context)
    }

    func payOwedFlush(context: ChannelHandlerContext) {
        owedFlush?.pay(context: context)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        payOwedFlush(context: context)
        context.close(mode: mode, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        payOwedFlush(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        payOwedFlush(context: context)
        context.fireErrorCaught(error)
    }
}
