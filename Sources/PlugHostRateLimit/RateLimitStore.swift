import PlugHostConfig

/// Where rate-limit counts live: this process, or a Redis shared by every instance.
protocol RateLimitStore: Sendable {
    /// Checks `key` against every rate and, if all have room, spends `cost` units in each.
    func take(key: String, rates: [Rate], cost: Int) async throws -> RateLimitDecision
}
