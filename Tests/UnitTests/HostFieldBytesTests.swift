import HTTPTypes
import NIOCore
@testable import PlugHostConfig
@testable import PlugHostServer
import Testing

/// The fast path's answers end with the security headers and the `Date` written as bytes
/// (`HostFieldBytes`); every other answer gets them as fields (`SecurityHeaders`, `DateField`).
/// A client must not be able to tell which: the same answer encodes to the same bytes either way.
@Suite struct HostFieldBytesTests {
    /// Answers as plugins make them: plain, with fields of the host's names (any case), with the
    /// same name twice, with nothing at all.
    static let answers: [HTTPFields] = [
        [.contentType: "application/json", .contentLength: "2"],
        [:],
        [HTTPField.Name("X-Frame-Options")!: "ALLOWALL", HTTPField.Name("content-security-policy")!: "default-src *", .contentLength: "0"],
        [.date: "Thu, 01 Jan 1970 00:00:00 GMT", HTTPField.Name("x-request-id")!: "abc", HTTPField.Name("Strict-Transport-Security")!: "max-age=0"],
        [HTTPField.Name("Referrer-Policy")!: "unsafe-url", HTTPField.Name("referrer-policy")!: "origin", .setCookie: "a=1", .setCookie: "b=2"],
        // Names of the same length as a host field's, which must stay.
        [HTTPField.Name("ratelimit-policy")!: "\"default\";q=1;w=60", HTTPField.Name("x-frame-optionz")!: "kept", HTTPField.Name("dare")!: "kept"],
    ]

    static let settings: [SecurityHeaderSettings] = {
        var quiet = SecurityHeaderSettings()
        quiet.contentSecurityPolicy = ""  // no such header at all
        quiet.hstsIncludeSubdomains = false
        return [SecurityHeaderSettings(), quiet]
    }()

    @Test(arguments: answers)
    func anAnswerEncodesToTheSameBytesWithTheHostsFieldsAsBytesOrAsFields(answer: HTTPFields) throws {
        for settings in Self.settings {
            let security = SecurityHeaders(settings)
            // Both within one second, so that both carry the same Date.
            var attempt = 0
            while true {
                attempt += 1
                var asFields = answer
                security.apply(to: &asFields)
                dateField.set(in: &asFields)
                var expected = ByteBuffer()
                HTTP1Codec.encode(.ok, asFields, into: &expected)
                var actual = ByteBuffer()
                HTTP1Codec.encode(.ok, answer, hostFields: security.bytes, into: &actual)
                if actual == expected || attempt == 3 {
                    #expect(String(buffer: actual) == String(buffer: expected))
                    break
                }
            }
        }
    }

    @Test func theHostFieldsReplaceOnlyFieldsOfTheirNames() {
        let bytes = SecurityHeaders(SecurityHeaderSettings()).bytes
        for name in ["X-Frame-Options", "x-frame-options", "Date", "Content-Security-Policy", "Referrer-Policy", "X-XSS-Protection",
                     "Strict-Transport-Security", "X-Content-Type-Options"] {
            #expect(bytes.replaces(HTTPField.Name(name)!), "\(name)")
        }
        for name in ["X-Frame-Optionz", "Dare", "RateLimit-Policy", "Content-Type", "X-Request-ID", "A", "X-A-Very-Long-Field-Name-Beyond-Any-Of-Them"] {
            #expect(!bytes.replaces(HTTPField.Name(name)!), "\(name)")
        }
    }
}
