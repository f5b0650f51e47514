import Crypto
import FoundationEssentials
import Glibc
import PlugHostConfig
import PlugHostRedis
import Synchronization

/// Rate-limit counts in Redis, shared by every PlugHost instance pointed at it.
///
/// One round trip per check: a Lua script runs the same sliding-window log as the memory store
/// on one sorted set per limit, atomically, with Redis's own clock so instances need not agree
/// on the time.
final class RedisRateLimitStore: RateLimitStore {
    private let client: RESPClient
    private let instance = UUID().uuidString.prefix(8)
    private let sequence = Atomic<UInt64>(0)
    private static let scriptSHA = HexDigest.text(Insecure.SHA1.hash(data: Data(script.utf8)))

    init(client: RESPClient) {
        self.client = client
    }

    func take(key: String, rates: [Rate], cost: Int) async throws -> RateLimitDecision {
        let id = "\(instance)-\(sequence.wrappingAdd(1, ordering: .relaxed).newValue)"
        let keys = rates.indices.map { "plughost:rl:\(key):\(rates[$0].count)/\(Int(rates[$0].window))" }
        var arguments = ["\(cost)", id]
        for rate in rates { arguments += ["\(rate.count)", "\(Int64(rate.window * 1_000_000))"] }
        let tail = ["\(keys.count)"] + keys + arguments
        var reply = try await client.send(["EVALSHA", Self.scriptSHA] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            reply = try await client.send(["EVAL", Self.script] + tail)
        }
        if case .error(let message) = reply { throw RESPError(message: "Redis script failed: \(message)") }
        guard let values = reply.array?.compactMap({ $0.integer }), values.count == 2 + 2 * rates.count else {
            throw RESPError(message: "unexpected reply from the rate-limit script: \(reply)")
        }
        let violated = values[0]
        let quotas = rates.indices.map { index in
            RateLimitDecision.Quota(remaining: max(0, values[2 + 2 * index]), reset: Int((Double(values[3 + 2 * index]) / 1e6).rounded(.up)))
        }
        return RateLimitDecision(allowed: violated == 0, quotas: quotas,
                                 retryAfter: max(1, Int((Double(values[1]) / 1e6).rounded(.up))),
                                 violated: violated == 0 ? nil : violated - 1)
    }

    /// KEYS: one sorted set per limit. ARGV: cost, a unique id, then count and window (µs) per limit.
    /// Returns: violated limit (1-based, 0 if none), wait (µs), then remaining and reset (µs) per limit.
    static let script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local cost = tonumber(ARGV[1])
        local id = ARGV[2]
        local violated, longest = 0, 0
        local spent = {}
        for i = 1, #KEYS do
          local limit = tonumber(ARGV[1 + 2 * i])
          local window = tonumber(ARGV[2 + 2 * i])
          redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
          local count = redis.call('ZCARD', KEYS[i])
          spent[i] = count
          local excess = count + cost - limit
          if excess > 0 then
            local wait = window
            if excess <= count then
              local entry = redis.call('ZRANGE', KEYS[i], excess - 1, excess - 1, 'WITHSCORES')
              wait = tonumber(entry[2]) + window - now
            end
            if wait > longest then longest = wait; violated = i end
          end
        end
        if violated == 0 then
          for i = 1, #KEYS do
            local window = tonumber(ARGV[2 + 2 * i])
            for j = 1, cost do redis.call('ZADD', KEYS[i], now, id .. ':' .. j) end
            redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000))
            spent[i] = spent[i] + cost
          end
        end
        local result = {violated, longest}
        for i = 1, #KEYS do
          local limit = tonumber(ARGV[1 + 2 * i])
          local window = tonumber(ARGV[2 + 2 * i])
          local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
          local reset = 0
          if oldest[2] then reset = tonumber(oldest[2]) + window - now end
          table.insert(result, limit - spent[i])
          table.insert(result, reset)
        end
        return result
        """
}
