package import HTTPTypes
package import NIOCore
import PlugHostConfig

/// The rate-limit fields of an answer the limiter let through: `RateLimit-Policy` and
/// `RateLimit` (draft-ietf-httpapi-ratelimit-headers), and the three `X-RateLimit-*` with
/// `legacy_headers = true`.
///
/// Kept as the counts they come from: an answer that needs them as `HTTPFields` (HTTP/2, the
/// request loop, a 401 or 403) makes them with ``fields``; the fast path's HTTP/1.1 answers have
/// the codec write them with ``write(into:)``, the same bytes without a field or a list per
/// request (the numbers' strings are small and stay inline).
package struct RateLimitFields: Sendable {
    let policy: RateLimitPolicy
    /// Nil when the store could not be asked and `on_store_error = "allow"`: the policy alone.
    let decision: RateLimitDecision?
    let legacy: Bool

    package init(policy: RateLimitPolicy, decision: RateLimitDecision?, legacy: Bool) {
        self.policy = policy
        self.decision = decision
        self.legacy = legacy
    }

    /// The limit that binds: the one with the fewest units left (the legacy headers report it).
    private var tightest: Int? {
        guard let decision else { return nil }
        return decision.quotas.indices.min { decision.quotas[$0].remaining < decision.quotas[$1].remaining }
    }

    /// The fields, in the order ``write(into:)`` writes them. Appended, not set by name: each
    /// name occurs once in a new list, and the policy's field is made once.
    package var fields: HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(legacy ? 5 : 2)
        fields.append(policy.policyField)
        guard let decision else { return fields }
        var rateLimit = ""
        rateLimit.reserveCapacity(decision.quotas.count * 48)
        for (index, quota) in decision.quotas.enumerated() {
            if index > 0 { rateLimit += ", " }
            rateLimit += policy.quotedItems[index]
            rateLimit += ";r="
            rateLimit += String(quota.remaining)
            rateLimit += ";t="
            rateLimit += String(quota.reset)
        }
        fields.append(HTTPField(name: .rateLimit, value: rateLimit))
        if legacy, let tightest {
            fields.append(HTTPField(name: .xRateLimitLimit, value: String(policy.rates[tightest].count)))
            fields.append(HTTPField(name: .xRateLimitRemaining, value: String(decision.quotas[tightest].remaining)))
            fields.append(HTTPField(name: .xRateLimitReset, value: String(decision.quotas[tightest].reset)))
        }
        return fields
    }

    /// ``fields`` as the lines of an HTTP/1.1 head, `Name: value` and CRLF each.
    package func write(into buffer: inout ByteBuffer) {
        buffer.writeBytes(policy.policyLine)
        guard let decision else { return }
        buffer.writeStaticString("RateLimit: ")
        for (index, quota) in decision.quotas.enumerated() {
            if index > 0 { buffer.writeStaticString(", ") }
            buffer.writeString(policy.quotedItems[index])
            buffer.writeStaticString(";r=")
            buffer.writeString(String(quota.remaining))
            buffer.writeStaticString(";t=")
            buffer.writeString(String(quota.reset))
        }
        buffer.writeStaticString("\r\n")
        if legacy, let tightest {
            buffer.writeStaticString("X-RateLimit-Limit: ")
            buffer.writeString(String(policy.rates[tightest].count))
            buffer.writeStaticString("\r\nX-RateLimit-Remaining: ")
            buffer.writeString(String(decision.quotas[tightest].remaining))
            buffer.writeStaticString("\r\nX-RateLimit-Reset: ")
            buffer.writeString(String(decision.quotas[tightest].reset))
            buffer.writeStaticString("\r\n")
        }
    }

    /// True for the names these fields have: an answer's own field of such a name is not written
    /// beside them (they replace it, as they do in ``fields``' place).
    package func replaces(_ name: HTTPField.Name) -> Bool {
        Self.names.contains(name) || (legacy && Self.legacyNames.contains(name))
    }

    private static let names = HeaderNameSet([.rateLimitPolicy, .rateLimit])
    private static let legacyNames = HeaderNameSet([.xRateLimitLimit, .xRateLimitRemaining, .xRateLimitReset])
}
