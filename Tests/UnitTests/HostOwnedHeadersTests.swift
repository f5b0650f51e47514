import HTTPTypes
import Hummingbird
import Logging
@testable import PlugHostConfig
@testable import PlugHostKeys
@testable import PlugHostServer
import Testing

/// The headers the host sets on every answer replace whatever an inner layer set, however many
/// fields of that name it set, and leave every other field as it was.
@Suite struct HostOwnedHeadersTests {
    @Test func replaceAllRemovesEveryFieldOfEachNameAndKeepsTheRest() {
        var headers: HTTPFields = [:]
        headers.append(HTTPField(name: .xFrameOptions, value: "ALLOWALL"))
        headers.append(HTTPField(name: .contentType, value: "text/plain"))
        headers.append(HTTPField(name: .xFrameOptions, value: "SAMEORIGIN"))
        headers.append(HTTPField(name: HTTPField.Name("x-custom")!, value: "kept"))
        headers.replaceAll(with: [.xFrameOptions: "DENY", .referrerPolicy: "no-referrer"])
        #expect(headers[values: .xFrameOptions] == ["DENY"])
        #expect(headers[values: .referrerPolicy] == ["no-referrer"])
        #expect(headers[.contentType] == "text/plain")
        #expect(headers[HTTPField.Name("X-Custom")!] == "kept")
        #expect(headers.count == 4)
    }

    @Test func replaceAllWithNothingChangesNothing() {
        var headers: HTTPFields = [.contentType: "a", .xFrameOptions: "b"]
        let before = headers
        headers.replaceAll(with: [:])
        #expect(headers == before)
    }

    @Test func securityHeadersOverrideAPluginsOwnAndDropEmptyOnes() {
        var settings = SecurityHeaderSettings()
        settings.contentSecurityPolicy = ""
        let middleware = SecurityHeaders(settings)
        var headers: HTTPFields = [.xFrameOptions: "ALLOWALL", .contentSecurityPolicy: "plugin's own"]
        headers.append(HTTPField(name: .xFrameOptions, value: "ALLOWALL"))
        middleware.apply(to: &headers)
        #expect(headers[values: .xFrameOptions] == [SecurityHeaderSettings().frameOptions])
        #expect(headers[values: HTTPField.Name("X-Content-Type-Options")!] == ["nosniff"])
        // Switched off by the operator: the host sends none, and a plugin's is left alone.
        #expect(headers[values: .contentSecurityPolicy] == ["plugin's own"])
    }
}

/// The key header is read without joining its fields; a request carrying it twice must still be
/// refused, as the joined value ("k, k") never matches a key.
@Suite struct PresentedKeyTests {
    private func outcome(_ values: [String]) throws -> KeyStore.Outcome {
        let keys = try KeyStore(environmentHash: HexDigest.text(APIKey.hash("seed-token")), logger: Logger(label: "test"))
        let authenticator = Authenticator(keys: keys, headerName: HTTPField.Name("X-API-Key")!, logger: Logger(label: "test"))
        var headers = HTTPFields()
        for value in values { headers.append(HTTPField(name: HTTPField.Name("X-API-Key")!, value: value)) }
        return authenticator.check(headers, scope: nil)
    }

    @Test func oneFieldWithTheKeyIsAllowed() throws {
        #expect(try outcome(["seed-token"]) == .allowed(name: "API_TOKEN_HASH", prefix: ""))
    }

    @Test func theKeyTwiceIsNotAKey() throws {
        #expect(try outcome(["seed-token", "seed-token"]) == .invalid(knownPrefix: nil))
        #expect(try outcome(["seed-token", "wrong"]) == .invalid(knownPrefix: nil))
    }

    @Test func noFieldIsMissing() throws {
        #expect(try outcome([]) == .missing)
    }
}
