import Logging
import PlugHostObservability
import Synchronization

/// Each plugin's share of the blocking pool. The pool's threads are shared by every plugin; a
/// plugin whose handlers hang would otherwise fill them all, and every other plugin's blocking
/// routes would wait for a thread until their own timeout and be blamed for the 504. So each
/// plugin may have at most its share of calls running or waiting for a thread; past it, its
/// own calls get 503 at once and the other plugins keep their threads.
package final class BlockingShares: Sendable {
    /// The share of the plugin named by the key.
    private let limit: @Sendable (String) -> Int
    private let state = Mutex<[String: Usage]>([:])
    private let logger = Logger(label: "plughost.plugins")

    private struct Usage {
        var inUse = 0
        /// When a refusal was last logged: one line a second at most per plugin.
        var lastLogged: ContinuousClock.Instant?
    }

    package init(limit: @escaping @Sendable (String) -> Int) {
        self.limit = limit
    }

    /// Takes one of `plugin`'s places, or returns its share when all are taken (refused).
    func acquire(_ plugin: String) -> Int? {
        let share = limit(plugin)
        let (refused, log) = state.withLock { usage -> (Bool, Bool) in
            var entry = usage[plugin, default: Usage()]
            defer { usage[plugin] = entry }
            guard entry.inUse >= share else {
                entry.inUse += 1
                return (false, false)
            }
            let now = ContinuousClock.now
            guard entry.lastLogged.map({ now - $0 >= .seconds(1) }) ?? true else { return (true, false) }
            entry.lastLogged = now
            return (true, true)
        }
        guard refused else { return nil }
        HostMetrics.shared.blockingShareExceeded(plugin: plugin)
        if log {
            logger.warning("plugin '\(plugin)' has \(share) blocking calls running or waiting for a thread, its share ([plugins.\(plugin)] max_concurrency); further calls get 503 until one ends (logged at most once a second)")
        }
        return share
    }

    /// Gives back a place taken with ``acquire(_:)``, once the call's thread is free again.
    func release(_ plugin: String) {
        state.withLock { $0[plugin, default: Usage()].inUse -= 1 }
    }
}
