import DequeModule
import PlugHostConfig

/// The times at which one client spent units of one limit, oldest first.
///
/// A sliding log is exact: a request passes only if the units spent in the `window` seconds
/// before it, plus its own cost, stay within `count` — in every window, not only in aligned ones,
/// so there is no double burst at window edges. Memory is one timestamp per unit still in the window.
struct SlidingWindowLog: Sendable {
    /// The oldest unit's time, kept inline (NaN when the log is empty): most clients spend a unit
    /// or two per window, and a million of them must not each cost a deque's allocation.
    private var oldest = Double.nan
    /// The units after the oldest, oldest first; empty (and unallocated) for most clients.
    private var later = Deque<Double>()

    /// Forgets units older than the window ending at `now`.
    mutating func expire(before cutoff: Double) {
        while !oldest.isNaN, oldest <= cutoff {
            oldest = later.popFirst() ?? .nan
        }
    }

    /// Units spent in the window ending at `now` (call ``expire(before:)`` first).
    var spent: Int { oldest.isNaN ? 0 : 1 + later.count }

    /// The time of the `index`th unit, oldest first.
    private func time(at index: Int) -> Double { index == 0 ? oldest : later[later.startIndex + index - 1] }

    /// Seconds until `cost` more units fit under `rate`, given the current log.
    func wait(for cost: Int, rate: Rate, now: Double) -> Double {
        let excess = spent + cost - rate.count
        guard excess > 0 else { return 0 }
        guard excess <= spent else { return rate.window }  // cost larger than the whole budget
        return time(at: excess - 1) + rate.window - now
    }

    /// Seconds until the oldest unit in the log leaves the window (0 when empty).
    func secondsUntilNextUnit(rate: Rate, now: Double) -> Double {
        oldest.isNaN ? 0 : oldest + rate.window - now
    }

    mutating func spend(_ cost: Int, at now: Double) {
        for _ in 0..<cost {
            if oldest.isNaN {
                oldest = now
                continue
            }
            // Exactly the room needed, not the container's default, for the clients that need more.
            if later.isEmpty { later.reserveCapacity(cost) }
            later.append(now)
        }
    }

    var newest: Double? { later.last ?? (oldest.isNaN ? nil : oldest) }
}

/// A client's logs, one per limit of its policy. The first is kept inline: a policy has one
/// limit unless configured otherwise, and then a client costs no array of its own.
struct SlidingWindowLogs: Sendable {
    private var first = SlidingWindowLog()
    private var others: [SlidingWindowLog] = []
    let count: Int

    init(count: Int) {
        self.count = count
        if count > 1 { others = Array(repeating: SlidingWindowLog(), count: count - 1) }
    }

    var indices: Range<Int> { 0..<count }

    subscript(index: Int) -> SlidingWindowLog {
        index == 0 ? first : others[index - 1]
    }

    /// Changes the `index`th log in place: a get-then-set would copy the log's deque on every
    /// change (copy-on-write with two owners), and a busy client's deque holds a unit per request
    /// in the window. A closure rather than a `_modify` accessor, whose coroutine frame, called
    /// out of line, cost an allocation per change.
    mutating func update<Result>(_ index: Int, _ change: (inout SlidingWindowLog) -> Result) -> Result {
        index == 0 ? change(&first) : change(&others[index - 1])
    }

    func contains(where predicate: (SlidingWindowLog) -> Bool) -> Bool {
        indices.contains { predicate(self[$0]) }
    }
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
    static func take(_ logs: inout SlidingWindowLogs, rates: [Rate], cost: Int, now: Double) -> RateLimitDecision {
        for index in rates.indices { logs.update(index) { $0.expire(before: now - rates[index].window) } }
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
            for index in rates.indices { logs.update(index) { $0.spend(cost, at: now) } }
        }
        let quotas = rates.indices.map { index in
            Quota(remaining: max(0, rates[index].count - logs[index].spent),
                  reset: Int(logs[index].secondsUntilNextUnit(rate: rates[index], now: now).rounded(.up)))
        }
        return RateLimitDecision(allowed: violated == nil, quotas: quotas,
                                 retryAfter: max(1, Int(longestWait.rounded(.up))), violated: violated)
    }
}
