import Foundation
import Synchronization

/// Rate-limit counts in this process's memory: exact, O(1) amortised per check, bounded.
///
/// Clients are spread over shards, each behind its own lock, so checks on different clients
/// rarely contend. Memory is bounded by `maxClients`: idle clients are swept once their newest
/// unit leaves the window, and when the table is full a new client spends from one shared
/// overflow budget, so a flood of distinct addresses cannot grow memory without limit.
public final class MemoryRateLimitStore: RateLimitStore {
    private static let shardCount = 64
    private let shards: [ShardBox]
    private let maxClientsPerShard: Int
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    struct Shard {
        var logs: [String: [SlidingWindowLog]] = [:]
        var lastSweep: Double = 0
    }

    /// A Mutex cannot live in an array by value; this gives each shard an address.
    final class ShardBox: Sendable {
        let state = Mutex(Shard())
    }

    static let overflowKey = "\u{0}overflow"

    public init(maxClients: Int) {
        shards = (0..<Self.shardCount).map { _ in ShardBox() }
        maxClientsPerShard = max(1, maxClients / Self.shardCount)
        start = clock.now
    }

    private var now: Double {
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func take(key: String, rates: [Rate], cost: Int) async throws -> RateLimitDecision {
        takeNow(key: key, rates: rates, cost: cost)
    }

    public func takeNow(key: String, rates: [Rate], cost: Int) -> RateLimitDecision {
        let now = self.now
        let longest = rates.map(\.window).max() ?? 0
        var hasher = Hasher()
        hasher.combine(key)
        let shard = shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.shardCount))]
        return shard.state.withLock { shard in
            // Sweeping costs O(clients in the shard), so it runs at most once per window.
            if now - shard.lastSweep > max(1, longest) {
                shard.logs = shard.logs.filter { _, logs in logs.contains { ($0.newest ?? -.infinity) > now - longest } }
                shard.lastSweep = now
            }
            var storeKey = key
            if shard.logs[key] == nil, shard.logs.count >= maxClientsPerShard { storeKey = Self.overflowKey }
            var logs = shard.logs.removeValue(forKey: storeKey) ?? Array(repeating: SlidingWindowLog(), count: rates.count)
            let decision = RateLimitDecision.take(&logs, rates: rates, cost: cost, now: now)
            shard.logs[storeKey] = logs
            return decision
        }
    }

    /// Clients tracked right now (for tests and the benchmark).
    public var trackedClients: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.logs.count } } }
}
