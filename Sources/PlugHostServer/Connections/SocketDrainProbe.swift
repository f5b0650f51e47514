import NIOCore

/// The first handler of every connection, next to the socket (below TLS): tells
/// ``ResponseDelivery`` when every byte written so far has been handed to the socket, for a
/// response whose flush left bytes waiting (a client that reads slowly). It writes an empty
/// buffer with a promise there: the socket completes writes in order, so the promise completes
/// once everything before it is out, or fails when the connection closes first. At this level
/// the empty write costs nothing above it — no HTTP encoder, no TLS record — and only the rare
/// response that did not leave with its flush needs it.
final class SocketDrainProbe: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Completes `promise` once every byte written to the connection before this call has been
    /// handed to the socket; fails it if the connection closes first.
    func whenDrained(_ promise: EventLoopPromise<Void>) {
        guard let context else { return promise.fail(ChannelError.ioOnClosedChannel) }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: promise)
    }
}
