import FoundationEssentials
import Glibc
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import PlugHostSockets
import ServiceLifecycle

/// Serves connections from a socket that already listens — inherited from the supervisor or bound
/// by this process — with Hummingbird's per-connection HTTP handling (`child`). Hummingbird's own
/// server binds its address itself and cannot take a socket; this is its accept loop around one
/// that exists (docs/OPERATIONS.md says why the socket must outlive the worker).
///
/// On graceful shutdown it stops accepting at once and lets open connections drain: the socket's
/// other holders keep accepting, and each connection ends after its current exchange
/// (``ConnectionGuard``).
struct ListenerService<Child: ServerChildChannel>: Service {
    let socket: ListeningSocket
    let child: Child
    /// At most this many open connections; past it the socket is not read until one closes.
    let maxConnections: Int?
    let logger: Logger
    let onRunning: @Sendable (any Channel) async -> Void
    /// Called once this process no longer accepts from the socket (graceful shutdown began).
    var onStoppedAccepting: @Sendable () -> Void = {}
    /// The limits on connections that have not sent a request yet: how many one client address
    /// may hold, and how long a connection may take to its first request head. Nil: none.
    var admission: ConnectionAdmission? = nil
    /// Started when graceful shutdown begins; closes the connections still open when it runs out.
    var grace: ShutdownGrace?

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiescing = ServerQuiescingHelper(group: group)
        let maxConnections = maxConnections
        let logger = logger
        let child = child
        let admission = admission
        let grace = grace
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // First: a connection refused here is never counted in max_connections.
                    if let admission {
                        try channel.pipeline.syncOperations.addHandler(
                            PerClientConnectionLimit(limit: admission.maxConnectionsPerClient, events: admission.events))
                    }
                    if let maxConnections {
                        try channel.pipeline.syncOperations.addHandler(
                            AvailableConnectionsChannelHandler(delegate: MaximumAvailableConnections(maxConnections, logger: logger)))
                    }
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            // NIO accepts 4 connections per wake-up by default. Under a flood of connections (most
            // of them refused at once by the per-client limit) draining the listen queue faster
            // keeps it from overflowing (see ListeningSocket.backlog): a handshake the kernel
            // drops costs any client, not only the flooding one, a 1 s retransmission.
            .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: 64)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        let server = try await bootstrap.bind(socket.descriptor) { channel -> EventLoopFuture<Child.Value> in
            do {
                // First of all, next to the socket: below TLS and every HTTP handler.
                try channel.pipeline.syncOperations.addHandler(SocketDrainProbe())
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            if let admission {
                do {
                    // Before the child's handlers, so that its clock starts at the accept.
                    try channel.pipeline.syncOperations.addHandler(
                        FirstRequestDeadline(seconds: admission.requestHeadTimeout, events: admission.events))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            return child.setup(channel: channel, logger: logger)
        }
        // NIO listens again on a socket it is given, with its default backlog of 128, and its
        // backlog option does not reach a socket that is already bound: restore the queue that
        // carries clients over a worker restart (the backlog belongs to the socket, not this process).
        _ = listen(socket.descriptor, ListeningSocket.backlog)
        let onStoppedAccepting = onStoppedAccepting
        server.channel.closeFuture.whenComplete { _ in onStoppedAccepting() }
        await withGracefulShutdownHandler {
            await onRunning(server.channel)
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            let executor = EventLoopTaskExecutor(connection.channel.eventLoop)
                            connections.addTask(executorPreference: executor) {
                                guard let grace else { return await child.handle(value: connection, logger: logger) }
                                await grace.tracking(connection.channel) { await child.handle(value: connection, logger: logger) }
                            }
                        }
                    }
                } catch {
                    logger.error("accepting connections failed: \(error)")
                }
            }
        } onGracefulShutdown: {
            grace?.begin()
            quiescing.initiateShutdown(promise: nil)
        }
    }
}
