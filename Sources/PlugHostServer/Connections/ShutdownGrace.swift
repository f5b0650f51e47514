import Logging
import NIOCore
import NIOPosix
import PlugHostPlugins
import Synchronization

/// Holds a draining process to `[server] shutdown_grace`, for every connection and every plugin
/// call (issue #18: with a 2-second grace and 6-second blocking handlers, connections stayed open
/// until the handlers returned, then closed without an answer).
///
/// The grace starts when the process stops accepting (SIGTERM, or a reload's drain). When it runs
/// out, every plugin call still waiting is answered by the host with 503 (`Connection: close` on
/// HTTP/1.1) and every later call gets the same 503 without reaching its plugin
/// (`CallTable.answerAllAtShutdown`); ``closeMargin`` later every connection still open is closed.
/// A plugin thread that is still running cannot be stopped or cancelled: it is left to run until
/// the process exits, and its plugin's shutdown hook is not called (`HostServer.run`).
final class ShutdownGrace: Sendable {
    let seconds: Double
    /// From the grace's end to closing the connections still open: time for the 503s to be written.
    static let closeMargin = 0.5
    private let logger: Logger
    private let started = Atomic<Bool>(false)
    private let expired = Atomic<Bool>(false)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(seconds: Double, logger: Logger) {
        self.seconds = seconds
        self.logger = logger
    }

    /// Whether the grace has run out.
    var hasExpired: Bool { expired.load(ordering: .acquiring) }

    /// Starts the grace, once: the process has stopped accepting connections.
    func begin() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { self.expire() }
    }

    /// Runs `serve` (the whole life of one connection) with the connection known, so that the
    /// grace's end can close it.
    func tracking(_ channel: any Channel, _ serve: () async -> Void) async {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        await serve()
        connections.withLock { _ = $0.removeValue(forKey: id) }
    }

    private func expire() {
        expired.store(true, ordering: .releasing)
        let answered = CallTable.shared.answerAllAtShutdown(with: .shutdownGraceExpired(seconds: seconds))
        let open = connections.withLock { $0.count }
        guard answered > 0 || open > 0 else { return }
        logger.warning("shutdown_grace of \(seconds) s ran out: \(answered) request(s) still waiting for a plugin were answered 503; the \(open) connection(s) still open close in \(Self.closeMargin) s")
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(Self.closeMargin * 1e9))) { self.closeAll() }
    }

    private func closeAll() {
        for channel in connections.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
