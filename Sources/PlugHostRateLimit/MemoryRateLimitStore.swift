import FoundationEssentials
import Glibc
public import PlugHostConfig
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
        var clients: [String: Client] = [:]
        var lastSweep: Double = 0
    }

    /// One client's logs under one policy, with the policy's longest window (for sweeping).
    struct Client {
        var logs: SlidingWindowLogs
        var window: Double

        func isIdle(at now: Double) -> Bool { !logs.contains { ($0.newest ?? -.infinity) > now - window } }
    }

    /// A Mutex cannot live in an array by value; this gives each shard an address.
    final class ShardBox: Sendable {
        let state = Mutex(Shard())
    }

    /// The shared budget of new clients when the table is full, one per policy (`policy|...`).
    static func overflowKey(for key: String) -> String {
        "\u{0}overflow|" + (key.firstIndex(of: "|").map { String(key[..<$0]) } ?? "")
    }

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
        var hasher = Hasher()
        hasher.combine(key)
        let shard = shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.shardCount))]
        return shard.state.withLock { shard in
            // Sweeping costs O(clients in the shard), so it runs at most about once a second;
            // each client is judged by its own policy's longest window.
            if now - shard.lastSweep > 1 {
                shard.clients = shard.clients.filter { !$0.value.isIdle(at: now) }
                shard.lastSweep = now
            }
            // A known client is changed where it is stored: one lookup, no copy of its logs.
            if let index = shard.clients.index(forKey: key) {
                return Self.take(&shard.clients.values[index], rates: rates, cost: cost, now: now)
            }
            let storeKey = shard.clients.count >= maxClientsPerShard ? Self.overflowKey(for: key) : key
            return Self.take(&shard.clients[storeKey, default: Self.newClient(rates)], rates: rates, cost: cost, now: now)
        }
    }

    private static func newClient(_ rates: [Rate]) -> Client {
        Client(logs: SlidingWindowLogs(count: rates.count), window: rates.map(\.window).max() ?? 0)
    }

    private static func take(_ client: inout Client, rates: [Rate], cost: Int, now: Double) -> RateLimitDecision {
        if client.logs.count != rates.count {
            // The policy's limits changed shape (a reload): start this client afresh.
            client = newClient(rates)
        }
        return RateLimitDecision.take(&client.logs, rates: rates, cost: cost, now: now)
    }

    /// Clients tracked right now (for tests and the benchmark).
    public var trackedClients: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.clients.count } } }
}
