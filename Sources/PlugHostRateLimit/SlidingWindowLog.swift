import DequeModule
import PlugHostConfig

/// The times at which one client spent units of one limit, oldest first.
///
/// A sliding log is exact: a request passes only if the units spent in the `window` seconds
/// before it, plus its own cost, stay within `count` — in every window, not only in aligned ones,
/// so there is no double burst at window edges. Memory is one timestamp per unit still in the window.
struct SlidingWindowLog: Sendable {
    private(set) var times = Deque<Double>()

    /// Forgets units older than the window ending at `now`.
    mutating func expire(before cutoff: Double) {
        while let first = times.first, first <= cutoff { times.removeFirst() }
    }

    /// Units spent in the window ending at `now` (call ``expire(before:)`` first).
    var spent: Int { times.count }

    /// Seconds until `cost` more units fit under `rate`, given the current log.
    func wait(for cost: Int, rate: Rate, now: Double) -> Double {
        let excess = spent + cost - rate.count
        guard excess > 0 else { return 0 }
        guard excess <= times.count else { return rate.window }  // cost larger than the whole budget
        return times[excess - 1] + rate.window - now
    }

    /// Seconds until the oldest unit in the log leaves the window (0 when empty).
    func secondsUntilNextUnit(rate: Rate, now: Double) -> Double {
        times.first.map { $0 + rate.window - now } ?? 0
    }

    mutating func spend(_ cost: Int, at now: Double) {
        // Most clients send a request or two: start with exactly the room needed, not the
        // container's default, which would dominate memory with a million idle clients.
        if times.isEmpty { times.reserveCapacity(cost) }
        for _ in 0..<cost { times.append(now) }
    }

    var newest: Double? { times.last }
}

/// The outcome of one check against all limits of a policy.
public struct RateLimitDecision: Sendable, Equatable {
    public struct Quota: Sendable, Equatable {
        public let remaining: Int
        /// Seconds until another unit is available (RateLimit `t`).
        public let reset: Int
    }

    public let allowed: Bool
    /// One per limit of the policy, in order.
    public let quotas: [Quota]
    /// Whole seconds to wait, at least 1, when not allowed.
    public let retryAfter: Int
    /// The index of the limit that refused the request.
    public let violated: Int?

    /// Checks and, if every limit has room, spends `cost` units in every log. All or nothing.
    static func take(_ logs: inout [SlidingWindowLog], rates: [Rate], cost: Int, now: Double) -> RateLimitDecision {
        for index in rates.indices { logs[index].expire(before: now - rates[index].window) }
        var longestWait = 0.0
        var violated: Int?
        for index in rates.indices {
            let wait = logs[index].wait(for: cost, rate: rates[index], now: now)
            if wait > longestWait {
                longestWait = wait
                violated = index
            }
        }
        if violated == nil {
            for index in rates.indices { logs[index].spend(cost, at: now) }
        }
        let quotas = rates.indices.map { index in
            Quota(remaining: max(0, rates[index].count - logs[index].spent),
                  reset: Int(logs[index].secondsUntilNextUnit(rate: rates[index], now: now).rounded(.up)))
        }
        return RateLimitDecision(allowed: violated == nil, quotas: quotas,
                                 retryAfter: max(1, Int(longestWait.rounded(.up))), violated: violated)
    }
}
