package import Logging
import Synchronization

/// Keeps a host's ``KeyStore`` equal to the Redis store: every `[auth] reload_interval` seconds it
/// reads the store's version token (one short GET) and, when the token changed, every record.
///
/// Polling rather than pub/sub: a poll needs no connection of its own, survives every kind of
/// reconnection without a missed message, and bounds how late a host learns of a change by the
/// interval (0.5 s by default, so every host sees a new or revoked key within a second).
///
/// While the store cannot be reached the host keeps the keys it saw last, says so once per
/// outage, and reads every record once the store answers again: a key revoked during the outage
/// stops working then.
package final class RedisKeySync: Sendable {
    private struct State {
        /// The version token of the records in force; `loaded` is false until the first read.
        var version: String?
        var loaded = false
        var unreachable = false
    }

    private let keys: KeyStore
    private let records: RedisKeyRecords
    private let interval: Double
    private let logger: Logger
    private let state = Mutex(State())
    private let poller = Mutex<Task<Void, Never>?>(nil)

    package init(keys: KeyStore, records: RedisKeyRecords, interval: Double, logger: Logger) {
        self.keys = keys
        self.records = records
        self.interval = interval
        self.logger = logger
    }

    /// One poll. Returns whether the store answered.
    @discardableResult
    package func refresh() async -> Bool {
        do {
            let version = try await records.version()
            let (current, wasUnreachable) = state.withLock { ($0.loaded && $0.version == version, $0.unreachable) }
            // After an outage every record is read again, whatever the token says.
            if !current || wasUnreachable {
                let all = try await records.all()
                keys.replace(with: all)
                state.withLock {
                    $0.version = version
                    $0.loaded = true
                    $0.unreachable = false
                }
                if wasUnreachable {
                    logger.notice("API key store \(records.location) is reachable again: \(all.count) key(s) in force")
                } else {
                    logger.info("API keys loaded from \(records.location): \(all.count) key(s)")
                }
            }
            return true
        } catch {
            let first = state.withLock { state in
                defer { state.unreachable = true }
                return !state.unreachable
            }
            if first {
                logger.error("API key store \(records.location) cannot be reached (\(error)); checking keys against the \(keys.keyCount) seen last until it is back")
            }
            return false
        }
    }

    /// Polls every `interval` seconds until ``stop()``.
    package func start() {
        let task = Task { [interval] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if Task.isCancelled { break }
                await refresh()
            }
        }
        poller.withLock { $0 = task }
    }

    package func stop() {
        poller.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}
