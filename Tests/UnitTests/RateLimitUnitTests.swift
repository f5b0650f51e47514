import NIOCore
@testable import PlugHostConfig
@testable import PlugHostRateLimit
import PlugHostRedis
import Testing

@Suite struct RateParsingTests {
    @Test(arguments: [("100/minute", 100, 60.0), ("5/second", 5, 1), ("10/s", 10, 1), ("1000/hour", 1000, 3600), ("7/day", 7, 86_400), ("3/5minutes", 3, 300)])
    func parses(_ text: String, _ count: Int, _ window: Double) throws {
        let rate = try #require(Rate(text))
        #expect(rate.count == count)
        #expect(rate.window == window)
    }

    @Test(arguments: ["", "100", "0/minute", "-1/minute", "10/fortnight", "ten/minute", "5/0minutes"])
    func refuses(_ text: String) {
        #expect(Rate(text) == nil)
    }

    @Test func configErrorNamesKeyAndLine() {
        #expect {
            try ConfigLoader.parse("[rate_limit]\nrate = \"100/fortnight\"\n", file: "host.toml", baseDirectory: .init(filePath: "/"))
        } throws: { error in
            let error = error as? ConfigError
            return error?.line == 2 && error?.key == "rate_limit.rate"
        }
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse("[rate_limit.routes]\n\"/api/x\" = \"1/second\"\n", file: "host.toml", baseDirectory: .init(filePath: "/"))
        }
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse("[rate_limit]\nstore = \"mysql://x\"\n", file: "host.toml", baseDirectory: .init(filePath: "/"))
        }
    }

    @Test func pluginTableRateIsTheHosts() throws {
        let config = try ConfigLoader.parse("[plugins.example]\nrate = [\"2/second\", \"10/minute\"]\n", file: "host.toml", baseDirectory: .init(filePath: "/"))
        #expect(config.rateLimit.pluginRates["example"]?.map(\.count) == [2, 10])
    }
}

@Suite struct SlidingWindowTests {
    let rate = Rate(count: 5, window: 1, text: "5/second")

    private func take(_ logs: inout SlidingWindowLogs, at time: Double, cost: Int = 1) -> RateLimitDecision {
        RateLimitDecision.take(&logs, rates: [rate], cost: cost, now: time)
    }

    @Test func neverMoreThanTheCountInAnyWindowEvenAcrossEdges() {
        var logs = SlidingWindowLogs(count: 1)
        var accepted: [Double] = []
        // Requests every 50 ms for 5 s, bursting around each whole second.
        for step in 0..<100 {
            let time = Double(step) * 0.05
            if take(&logs, at: time).allowed { accepted.append(time) }
        }
        for start in accepted {
            #expect(accepted.filter { $0 >= start && $0 < start + 1 }.count <= 5)
        }
        #expect(accepted.count >= 24, "the budget is used fully: about 5 per second")
    }

    @Test func retryAfterIsWhenTheOldestUnitLeaves() {
        var logs = SlidingWindowLogs(count: 1)
        for index in 0..<5 { #expect(take(&logs, at: 10 + Double(index) * 0.1).allowed) }
        let refused = take(&logs, at: 10.5)
        #expect(!refused.allowed)
        #expect(refused.retryAfter == 1)
        #expect(refused.quotas == [.init(remaining: 0, reset: 1)])
        #expect(take(&logs, at: 11.01).allowed, "the first unit left the window at 11.0")
    }

    @Test func allLimitsMustHaveRoomAndNoneIsSpentOnRefusal() {
        let rates = [Rate(count: 2, window: 1, text: "2/second"), Rate(count: 3, window: 60, text: "3/minute")]
        var logs = SlidingWindowLogs(count: 2)
        #expect(RateLimitDecision.take(&logs, rates: rates, cost: 1, now: 0).allowed)
        #expect(RateLimitDecision.take(&logs, rates: rates, cost: 1, now: 0).allowed)
        let third = RateLimitDecision.take(&logs, rates: rates, cost: 1, now: 0.5)
        #expect(!third.allowed && third.violated == 0)
        #expect(logs[1].spent == 2, "a refused request spends nothing")
        #expect(RateLimitDecision.take(&logs, rates: rates, cost: 1, now: 2).allowed)
        let fifth = RateLimitDecision.take(&logs, rates: rates, cost: 1, now: 3)
        #expect(!fifth.allowed && fifth.violated == 1)
        #expect(fifth.retryAfter == 57)
    }

    @Test func theInlineOldestUnitAndTheLaterOnesExpireInOrder() {
        var log = SlidingWindowLog()
        #expect(log.spent == 0 && log.newest == nil)
        log.spend(1, at: 1)
        #expect(log.spent == 1 && log.newest == 1)
        log.spend(2, at: 2)
        log.spend(1, at: 3)
        #expect(log.spent == 4 && log.newest == 3)
        #expect(log.wait(for: 1, rate: Rate(count: 4, window: 10, text: ""), now: 5) == 6, "the oldest (t=1) leaves at 11")
        #expect(log.wait(for: 2, rate: Rate(count: 4, window: 10, text: ""), now: 5) == 7, "the second (t=2) leaves at 12")
        log.expire(before: 1)
        #expect(log.spent == 3)
        log.expire(before: 2.5)
        #expect(log.spent == 1 && log.newest == 3)
        log.expire(before: 3)
        #expect(log.spent == 0 && log.newest == nil)
        log.spend(1, at: 4)
        #expect(log.spent == 1 && log.secondsUntilNextUnit(rate: Rate(count: 4, window: 10, text: ""), now: 5) == 9)
    }

    /// A busy client keeps a unit per request in its log; a check must change the log in place.
    /// Copying it per check (copy-on-write through a get-and-set accessor) made each check O(n),
    /// and 600,000 checks would take minutes (a few seconds as it is).
    @Test(.timeLimit(.minutes(1))) func aBusyClientsLogIsChangedInPlaceNotCopiedPerCheck() {
        var logs = SlidingWindowLogs(count: 2)
        let rates = [Rate(count: 1_000_000_000, window: 60, text: ""), Rate(count: 1_000_000_000, window: 3600, text: "")]
        for index in 0..<600_000 {
            #expect(RateLimitDecision.take(&logs, rates: rates, cost: 1, now: Double(index) / 1_000_000).allowed)
        }
        #expect(logs[0].spent == 600_000 && logs[1].spent == 600_000)
    }

    @Test func costLargerThanTheBudgetIsRefusedForAWholeWindow() {
        var logs = SlidingWindowLogs(count: 1)
        let decision = take(&logs, at: 0, cost: 6)
        #expect(!decision.allowed)
        #expect(decision.retryAfter == 1)
    }
}

@Suite struct MemoryStoreTests {
    @Test func distinctClientsBeyondTheBoundShareTheOverflowBudget() {
        let store = MemoryRateLimitStore(maxClients: 64)
        let rate = [Rate(count: 1_000_000, window: 60, text: "")]
        for index in 0..<10_000 { _ = store.takeNow(key: "ip:\(index)", rates: rate, cost: 1) }
        #expect(store.trackedClients <= 64 + 64, "one overflow entry per shard at most")
    }

    @Test func overflowBudgetsAreKeptApartByPolicy() {
        let store = MemoryRateLimitStore(maxClients: 1)
        let one = [Rate(count: 100, window: 60, text: "")]
        let two = [Rate(count: 100, window: 1, text: ""), Rate(count: 100, window: 60, text: "")]
        // Policies with different numbers of limits must never share (and overrun) one entry.
        for index in 0..<500 {
            #expect(store.takeNow(key: "default|ip:\(index)", rates: one, cost: 1).quotas.count == 1)
            #expect(store.takeNow(key: "route|ip:\(index)", rates: two, cost: 1).quotas.count == 2)
        }
    }

    @Test func longWindowBudgetsSurviveSweepsTriggeredByShortOnes() async throws {
        let store = MemoryRateLimitStore(maxClients: 1000)
        let hourly = [Rate(count: 2, window: 3600, text: "")]
        let fast = [Rate(count: 100, window: 0.1, text: "")]
        #expect(store.takeNow(key: "slow|me", rates: hourly, cost: 2).allowed)
        try await Task.sleep(for: .milliseconds(1200))
        for index in 0..<200 { _ = store.takeNow(key: "fast|c\(index)", rates: fast, cost: 1) }
        #expect(!store.takeNow(key: "slow|me", rates: hourly, cost: 1).allowed, "the hourly budget must still be spent")
    }

    @Test func idleClientsAreSwept() async throws {
        let store = MemoryRateLimitStore(maxClients: 1000)
        let rate = [Rate(count: 5, window: 0.05, text: "")]
        for index in 0..<100 { _ = store.takeNow(key: "c\(index)", rates: rate, cost: 1) }
        try await Task.sleep(for: .milliseconds(1100))
        for index in 0..<64 { _ = store.takeNow(key: "new\(index)", rates: rate, cost: 1) }
        #expect(store.trackedClients < 100 + 64)
    }
}

@Suite struct RESPDecoderTests {
    private func parse(_ text: String) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try RESPDecoder.parse(&buffer)
    }

    @Test func parsesEachReplyType() throws {
        #expect(try parse("+OK\r\n") == .simpleString("OK"))
        #expect(try parse("-ERR bad\r\n") == .error("ERR bad"))
        #expect(try parse(":42\r\n") == .integer(42))
        #expect(try parse("$3\r\nabc\r\n") == .bulkString(Array("abc".utf8)))
        #expect(try parse("$-1\r\n") == .bulkString(nil))
        #expect(try parse("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n") == .array([.integer(1), .array([.bulkString([UInt8(ascii: "x")])])]))
    }

    @Test func waitsForIncompleteReplies() throws {
        #expect(try parse("$10\r\nabc") == nil)
        #expect(try parse("*2\r\n:1\r\n") == nil)
        #expect(try parse(":4") == nil)
    }

    @Test func redisURLs() {
        #expect(RedisURL("redis://127.0.0.1:6390/2") == RedisURL("redis://127.0.0.1:6390/2"))
        #expect(RedisURL("redis://h/3")?.database == 3)
        #expect(RedisURL("redis://h")?.port == 6379)
        #expect(RedisURL("redis://:pw@h:1/0")?.password == "pw")
        #expect(RedisURL("http://h") == nil)
        #expect(RedisURL("redis://h/x") == nil)
    }
}
