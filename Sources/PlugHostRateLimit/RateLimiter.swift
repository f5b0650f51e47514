package import FoundationEssentials
import Glibc
package import HTTPTypes
package import Hummingbird
package import Logging
package import PlugHostConfig
import PlugHostObservability
import PlugHostRedis
import Synchronization

/// A set of limits with a name, as the RateLimit headers announce it.
/// A class, made once per route: every request of the route passes it along, and a reference
/// is one retain where its strings, arrays and field would be one each.
package final class RateLimitPolicy: Sendable {
    let name: String
    package let rates: [Rate]
    let cost: Int
    /// `RateLimit-Policy`, computed once: `"default";q=100;w=60`.
    let policyHeader: String
    /// The same as a field, made once.
    let policyField: HTTPField
    /// The same as the line of an HTTP/1.1 head, made once (``RateLimitFields/write(into:)``).
    let policyLine: [UInt8]
    /// Each limit's item in the `RateLimit` header, quoted: `"default"`, or `"default-2"`.
    let quotedItems: [String]
    /// The store's key of a client, `policy|identity`, starts with this.
    let storeKeyPrefix: String

    init(name: String, rates: [Rate], cost: Int) {
        self.name = name
        self.rates = rates
        self.cost = cost
        policyHeader = rates.indices.map { "\"\(Self.itemName(name, $0, of: rates.count))\";q=\(rates[$0].count);w=\(rates[$0].windowSeconds)" }
            .joined(separator: ", ")
        policyField = HTTPField(name: .rateLimitPolicy, value: policyHeader)
        policyLine = Array("\(HTTPField.Name.rateLimitPolicy.rawName): \(policyHeader)\r\n".utf8)
        quotedItems = rates.indices.map { "\"\(Self.itemName(name, $0, of: rates.count))\"" }
        storeKeyPrefix = name + "|"
    }

    static func itemName(_ name: String, _ index: Int, of count: Int) -> String {
        count == 1 ? name : "\(name)-\(index + 1)"
    }
}

/// Applies `[rate_limit]`: picks each route's policy, spends from the client's budget, and turns
/// the outcome into headers or a 429. Store failures follow `on_store_error`, logged once per outage.
package final class RateLimiter: Sendable {
    package enum Verdict: Sendable {
        /// Let through, with the fields the answer gets.
        case allowed(RateLimitFields)
        case rejected(Refusal)
    }

    /// The answer to a refused request (429, or 503 when the store is down and
    /// `on_store_error = "deny"`), as bytes the host can write without a task.
    package struct Refusal: Sendable {
        package let status: HTTPResponse.Status
        package let headers: HTTPFields
        package let body: ByteBuffer
    }

    let settings: RateLimitSettings
    private let store: any RateLimitStore
    /// `store` when it is this process's memory, which answers without waiting (``checkNow``).
    private let memoryStore: MemoryRateLimitStore?
    private let logger: Logger
    /// Odd while the store is down, even while it is up; each change adds one. A reply only ends
    /// the outage it was sent during, and a failure only begins one when its command was sent
    /// while the store was up: replies and failures of commands sent before the last change (a
    /// connection's last answers, arriving beside its first failures) would otherwise log a
    /// recovery and the same outage again.
    private let storeEpoch = Atomic<Int>(0)
    /// The store as logs may show it: a Redis password is replaced by `***`.
    private let storeName: String

    /// `redisCAFile`: what a `rediss://` store's certificate must chain to (nil: the system's roots).
    package init(settings: RateLimitSettings, redisCAFile: URL?, logger: Logger) {
        self.settings = settings
        self.logger = logger
        storeName = RedisURL(settings.store)?.redacted ?? settings.store
        if let url = RedisURL(settings.store) {
            store = RedisRateLimitStore(client: RESPClient(url: url, caFile: redisCAFile, timeout: settings.storeTimeout, purpose: "[rate_limit] store"))
            memoryStore = nil
        } else {
            let memory = MemoryRateLimitStore(maxClients: settings.maxClients)
            store = memory
            memoryStore = memory
        }
    }

    /// The policy of a route: its own limit, else its plugin's, else the default; nil when unlimited.
    package func policy(method: String, servedPath: String, plugin: String?, limited: Bool, cost: Int) -> RateLimitPolicy? {
        guard settings.enabled, limited else { return nil }
        let routeKey = "\(method) \(servedPath)"
        if let rates = settings.routeRates[routeKey] { return RateLimitPolicy(name: routeKey, rates: rates, cost: cost) }
        if let plugin, let rates = settings.pluginRates[plugin] { return RateLimitPolicy(name: plugin, rates: rates, cost: cost) }
        return RateLimitPolicy(name: "default", rates: settings.rates, cost: cost)
    }

    /// Whose budget a request spends, by `[rate_limit] key`.
    package func identity(keyName: String?, client: String) -> String {
        switch settings.key {
        case .ip: "ip:\(client)"
        case .apiKey: keyName.map { "key:\($0)" } ?? "key:anonymous"
        case .apiKeyOrIP: keyName.map { "key:\($0)" } ?? "ip:\(client)"
        }
    }

    /// The verdict at once when the store answers without waiting (the memory store); nil when
    /// it must be asked with ``check(_:identity:)`` (Redis).
    package func checkNow(_ policy: RateLimitPolicy, identity: String) -> Verdict? {
        guard let memory = memoryStore else { return nil }
        return verdict(policy, memory.takeNow(key: policy.storeKeyPrefix + identity, rates: policy.rates, cost: policy.cost))
    }

    package func check(_ policy: RateLimitPolicy, identity: String) async -> Verdict {
        let decision: RateLimitDecision
        let epoch = storeEpoch.load(ordering: .relaxed)
        do {
            decision = try await store.take(key: policy.storeKeyPrefix + identity, rates: policy.rates, cost: policy.cost)
            if epoch % 2 == 1, storeEpoch.compareExchange(expected: epoch, desired: epoch + 1, ordering: .relaxed).exchanged {
                logger.notice("rate-limit store \(storeName) is reachable again; limiting resumed")
            }
        } catch {
            if epoch % 2 == 0, storeEpoch.compareExchange(expected: epoch, desired: epoch + 1, ordering: .relaxed).exchanged {
                logger.error("rate-limit store \(storeName) failed (\(error)); requests are \(settings.onStoreError == .allow ? "allowed" : "refused with 503") until it is back")
            }
            guard settings.onStoreError == .deny else { return .allowed(RateLimitFields(policy: policy, decision: nil, legacy: settings.legacyHeaders)) }
            var headers: HTTPFields = [.rateLimitPolicy: policy.policyHeader]
            headers[.retryAfter] = "1"
            return .rejected(problem(.serviceUnavailable, title: "Rate limit unavailable",
                                     detail: "The rate-limit store cannot be reached; try again shortly.", policy: policy.name, headers: headers))
        }
        return verdict(policy, decision)
    }

    /// The headers of an allowed request, or the 429 of a refused one.
    private func verdict(_ policy: RateLimitPolicy, _ decision: RateLimitDecision) -> Verdict {
        let fields = RateLimitFields(policy: policy, decision: decision, legacy: settings.legacyHeaders)
        guard decision.allowed else {
            var headers = fields.fields
            headers[.retryAfter] = "\(decision.retryAfter)"
            HostMetrics.shared.rateLimited(policy: policy.name)
            let rate = policy.rates[decision.violated ?? 0]
            return .rejected(problem(.tooManyRequests, title: "Too Many Requests",
                                     detail: "Rate limit exceeded: \(rate.text) for this client. Retry in \(decision.retryAfter) s.",
                                     policy: RateLimitPolicy.itemName(policy.name, decision.violated ?? 0, of: policy.rates.count), headers: headers))
        }
        return .allowed(fields)
    }

    /// An RFC 9457 problem document naming the policy that refused the request.
    private func problem(_ status: HTTPResponse.Status, title: String, detail: String, policy: String, headers: HTTPFields) -> Refusal {
        var headers = headers
        headers[.contentType] = "application/problem+json"
        let body = Problem(type: "urn:plughost:problem:rate-limited", title: title, status: status.code, detail: detail, policy: policy)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
        return Refusal(status: status, headers: headers, body: ByteBuffer(string: json))
    }
}

/// RFC 9457 problem details, with the refusing policy as an extension member.
private struct Problem: Encodable {
    let type: String
    let title: String
    let status: Int
    let detail: String
    let policy: String
}

extension HTTPField.Name {
    package static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    package static let rateLimit = HTTPField.Name("RateLimit")!
    package static let xRateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    package static let xRateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    package static let xRateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}
