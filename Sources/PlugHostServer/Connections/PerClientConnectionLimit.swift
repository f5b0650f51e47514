import NIOCore
import NIOPosix

/// On the listening socket: closes a newly accepted connection whose client address already has
/// `[limits] max_connections_per_client` open, before anything is set up for it (no TLS, no
/// HTTP, no task), so that one address cannot fill `max_connections` and lock everyone else out.
/// The refusal is a reset, so no socket is left waiting in TIME_WAIT for a client that refuses
/// itself thousands of times; it is counted and logged (``ConnectionEvents``).
final class PerClientConnectionLimit: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private var counts: ClientConnectionCounts
    private let events: ConnectionEvents

    init(limit: Int, events: ConnectionEvents) {
        counts = ClientConnectionCounts(limit: limit)
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        guard let address = connection.remoteAddress, let client = ClientConnectionCounts.ClientKey(address) else {
            context.fireChannelRead(data)
            return
        }
        guard counts.admit(client) else {
            if let socket = connection as? any SocketOptionProvider {
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in connection.close(promise: nil) }
            } else {
                connection.close(promise: nil)
            }
            events.refusedOverPerClientLimit(address: address.ipAddress ?? "unknown", limit: counts.limit)
            return
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        connection.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            handler.value.counts.release(client)
        }
        context.fireChannelRead(data)
    }
}
