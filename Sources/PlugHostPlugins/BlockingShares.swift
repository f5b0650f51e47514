import Logging
import PlugHostObservability
import Synchronization

/// Each plugin's use of the blocking pool: its share, and which of its calls hold a thread.
///
/// The pool's threads are shared by every plugin; a plugin whose handlers hang would otherwise
/// fill them all, and every other plugin's blocking routes would wait for a thread until their
/// own timeout and be blamed for the 504. So each plugin may have at most its share of calls
/// running or waiting for a thread; past it, its own calls get 503 at once and the other plugins
/// keep their threads. The calls running now are what shutdown must know: a thread inside a
/// plugin cannot be stopped (``pluginsRunning``).
package final class BlockingShares: Sendable {
    /// The share of the plugin named by the key.
    private let limit: @Sendable (String) -> Int
    private let state = Mutex<[String: Usage]>([:])
    private let logger = Logger(label: "plughost.plugins")

    private struct Usage {
        /// Calls running on a pool thread or waiting for one.
        var taken = 0
        /// Of those, the ones running on a thread now.
        var running = 0
        /// One refusal line a second at most per plugin: a hanging plugin is refused on every call.
        let refusals = LogThrottle(interval: .seconds(1))
    }

    package init(limit: @escaping @Sendable (String) -> Int) {
        self.limit = limit
    }

    /// Takes one of `plugin`'s places, or returns its share when all are taken (refused).
    func acquire(_ plugin: String) -> Int? {
        let share = limit(plugin)
        let refusals = state.withLock { usage -> LogThrottle? in
            var entry = usage[plugin, default: Usage()]
            defer { usage[plugin] = entry }
            guard entry.taken >= share else {
                entry.taken += 1
                return nil
            }
            return entry.refusals
        }
        guard let refusals else { return nil }
        HostMetrics.shared.blockingShareExceeded(plugin: plugin)
        if let leftOut = refusals.admit() {
            logger.warning("plugin '\(plugin)' has \(share) blocking calls running or waiting for a thread, its share ([plugins.\(plugin)] max_concurrency); further calls get 503 until one ends (logged at most once a second\(leftOut > 0 ? "; \(leftOut) refusal(s) since the last line" : ""))")
        }
        return share
    }

    /// Gives back a place taken with ``acquire(_:)``, once the call's thread is free again.
    func release(_ plugin: String) {
        state.withLock { $0[plugin, default: Usage()].taken -= 1 }
    }

    /// Runs `body`, a call of `plugin` on a pool thread, counted in ``pluginsRunning`` meanwhile.
    func run(_ plugin: String, _ body: () -> Void) {
        state.withLock { $0[plugin, default: Usage()].running += 1 }
        defer { state.withLock { $0[plugin, default: Usage()].running -= 1 } }
        body()
    }

    /// The plugins with a call running on a pool thread now, and how many each.
    package var pluginsRunning: [String: Int] {
        state.withLock { usage in usage.compactMapValues { $0.running > 0 ? $0.running : nil } }
    }
}
