import HTTPTypes
import NIOCore
@testable import PlugHostConfig
@testable import PlugHostRateLimit
@testable import PlugHostServer
import Testing

/// The fast path's answers get their rate-limit fields written as bytes by the codec
/// (`RateLimitFields.write`); every other answer gets them as fields (`RateLimitFields.fields`).
/// Both must put the same bytes on the wire.
@Suite struct RateLimitFieldsTests {
    static func decision(_ quotas: [(remaining: Int, reset: Int)]) -> RateLimitDecision {
        RateLimitDecision(allowed: true, quotas: quotas.map { .init(remaining: $0.remaining, reset: $0.reset) }, retryAfter: 1, violated: nil)
    }

    static let cases: [(name: String, rates: [String], decision: RateLimitDecision?)] = [
        ("default", ["100/minute"], decision([(99, 60)])),
        ("default", ["1000000000/minute"], decision([(0, 0)])),
        ("example", ["10/second", "100/hour"], decision([(7, 1), (42, 3600)])),
        ("GET /api/x", ["3/5minutes", "1/s", "9/d"], decision([(2, 300), (0, 1), (8, 86_400)])),
        ("default", ["5/minute"], nil),  // the store failed and the request was let through
        ("big", ["9223372036854775807/day"], decision([(Int.max, Int.max)])),
    ]

    @Test(arguments: 0..<cases.count, [false, true])
    func theBytesAreTheFieldsEncoded(index: Int, legacy: Bool) throws {
        let item = Self.cases[index]
        let policy = RateLimitPolicy(name: item.name, rates: try item.rates.map { try #require(Rate($0)) }, cost: 1)
        let fields = RateLimitFields(policy: policy, decision: item.decision, legacy: legacy)
        var expected = ByteBuffer()
        for field in fields.fields { HTTP1Codec.encode(field, into: &expected) }
        var actual = ByteBuffer()
        fields.write(into: &actual)
        #expect(String(buffer: actual) == String(buffer: expected))
        #expect(fields.fields.count == (item.decision == nil ? 1 : legacy ? 5 : 2))
        for field in fields.fields { #expect(fields.replaces(field.name), "\(field.name)") }
    }

    @Test func onlyTheirOwnNamesAreReplaced() throws {
        let policy = RateLimitPolicy(name: "default", rates: [try #require(Rate("1/minute"))], cost: 1)
        let plain = RateLimitFields(policy: policy, decision: Self.decision([(0, 60)]), legacy: false)
        let legacy = RateLimitFields(policy: policy, decision: Self.decision([(0, 60)]), legacy: true)
        for name in ["RateLimit", "ratelimit", "RateLimit-Policy"] {
            #expect(plain.replaces(HTTPField.Name(name)!) && legacy.replaces(HTTPField.Name(name)!), "\(name)")
        }
        for name in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "x-ratelimit-reset"] {
            #expect(!plain.replaces(HTTPField.Name(name)!) && legacy.replaces(HTTPField.Name(name)!), "\(name)")
        }
        for name in ["RateLimiT-Polic", "RateLimits", "Retry-After", "X-RateLimit-Used", "Content-Type", "Date"] {
            #expect(!legacy.replaces(HTTPField.Name(name)!), "\(name)")
        }
    }
}
