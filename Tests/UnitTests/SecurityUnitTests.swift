import Foundation
@testable import PlugHostConfig
@testable import PlugHostKeys
@testable import PlugHostObservability
@testable import PlugHostServer
import Testing

@Suite struct APIKeyTests {
    @Test func generatedKeysAreUniqueURLSafeAndPrefixed() {
        let keys = (0..<100).map { _ in APIKey.generate() }
        #expect(Set(keys).count == 100)
        for key in keys {
            #expect(key.hasPrefix("ph_"))
            #expect(key.count == 3 + 8 + 1 + 43)
            #expect(key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
        }
    }

    @Test func prefixIsOnlyForKeysPlugHostMade() {
        #expect(APIKey.prefix(of: "ph_abcdefgh_secret") == "ph_abcdefgh")
        #expect(APIKey.prefix(of: "some-seed-token") == nil)
    }

    @Test func constantTimeEqualityMatchesOrdinaryEquality() {
        let a = APIKey.hash("one"), b = APIKey.hash("two")
        #expect(APIKey.constantTimeEqual(a, a))
        #expect(!APIKey.constantTimeEqual(a, b))
        #expect(!APIKey.constantTimeEqual(a, Array(a.dropLast())))
    }

    @Test func hexRoundTrips() {
        let digest = APIKey.hash("x")
        #expect(HexDigest.sha256(fromHex: HexDigest.text(digest)) == digest)
        #expect(HexDigest.sha256(fromHex: "zz") == nil)
    }
}

@Suite struct KeyStoreTests {
    private func store(_ keys: [(String, String, Date?, [String])]) throws -> KeyStore {
        let directory = FileManager.default.temporaryDirectory.appending(path: "keys-\(UUID().uuidString)")
        let file = KeyFile(url: directory.appending(path: "keys.toml"))
        try file.write(keys.map { StoredKey(name: $0.0, prefix: APIKey.prefix(of: $0.1) ?? "", sha256: APIKey.hash($0.1), created: Date(), expires: $0.2, scopes: $0.3) })
        return try KeyStore(file: file, environmentHash: nil, logger: .init(label: "test"))
    }

    @Test func keysSharingAPrefixAreEachFoundAndKeysWithoutOneToo() throws {
        let store = try store([("first", "ph_samepref_1", nil, []), ("second", "ph_samepref_2", nil, []), ("imported", "not-a-ph-key", nil, [])])
        #expect(store.authenticate("ph_samepref_1", requiredScope: nil) == .allowed(name: "first", prefix: "ph_samepref"))
        #expect(store.authenticate("ph_samepref_2", requiredScope: nil) == .allowed(name: "second", prefix: "ph_samepref"))
        #expect(store.authenticate("not-a-ph-key", requiredScope: nil) == .allowed(name: "imported", prefix: ""))
        #expect(store.authenticate("ph_samepref_3", requiredScope: nil) == .invalid(knownPrefix: "ph_samepref"))
    }

    @Test func everyKeyOfTwentyThousandIsFoundByItsPrefix() throws {
        // How the check's cost stays flat as keys are added is measured by scripts/bench (100,000 keys).
        let keys = (0..<20_000).map { index in ("key-\(index)", "ph_\(String(format: "%08d", index))_secret\(index)", Date?.none, [String]()) }
        let store = try store(keys)
        for index in stride(from: 0, to: keys.count, by: 7) {
            #expect(store.authenticate(keys[index].1, requiredScope: nil) == .allowed(name: keys[index].0, prefix: String(keys[index].1.prefix(11))))
        }
        #expect(store.authenticate("ph_00000007_wrong", requiredScope: nil) == .invalid(knownPrefix: "ph_00000007"))
    }

    @Test func outcomesForEachKindOfKey() throws {
        let past = Date().addingTimeInterval(-10)
        let store = try store([("a", "ph_aaaaaaaa_1", nil, ["admin"]), ("b", "ph_bbbbbbbb_2", past, [])])
        #expect(store.authenticate(nil, requiredScope: nil) == .missing)
        #expect(store.authenticate("ph_aaaaaaaa_1", requiredScope: "admin") == .allowed(name: "a", prefix: "ph_aaaaaaaa"))
        #expect(store.authenticate("ph_aaaaaaaa_1", requiredScope: "other") == .forbidden(name: "a", prefix: "ph_aaaaaaaa", scope: "other"))
        #expect(store.authenticate("ph_bbbbbbbb_2", requiredScope: nil) == .expired(name: "b", prefix: "ph_bbbbbbbb"))
        #expect(store.authenticate("ph_aaaaaaaa_wrong", requiredScope: nil) == .invalid(knownPrefix: "ph_aaaaaaaa"))
        #expect(store.authenticate("ph_zzzzzzzz_x", requiredScope: nil) == .invalid(knownPrefix: nil))
    }

    @Test func keyFileRoundTripsEveryField() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "keys-\(UUID().uuidString).toml")
        let key = StoredKey(name: "n.1", prefix: "ph_12345678", sha256: APIKey.hash("k"), created: Date(timeIntervalSince1970: 1_700_000_000),
                            expires: Date(timeIntervalSince1970: 1_800_000_000), scopes: ["a", "b"])
        try KeyFile(url: url).write([key])
        #expect(try KeyFile(url: url).read() == [key])
    }

    @Test func malformedKeyFileNamesTheKeyAndLine() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "keys-\(UUID().uuidString).toml")
        let good = HexDigest.text(APIKey.hash("k"))
        try "[[key]]\nname = \"x\"\nsha256 = \"nothex\"\n".write(to: url, atomically: true, encoding: .utf8)
        #expect {
            try KeyFile(url: url).read()
        } throws: { error in
            (error as? ConfigError)?.line == 3 && (error as? ConfigError)?.key == "key[0].sha256"
        }
        try "[[key]]\nname = \"x\"\nsha256 = \"\(good)\"\n\n[[key]]\nname = \"y\"\nsha256 = \"short\"\n".write(to: url, atomically: true, encoding: .utf8)
        #expect {
            try KeyFile(url: url).read()
        } throws: { error in
            (error as? ConfigError)?.line == 7 && (error as? ConfigError)?.key == "key[1].sha256"
        }
    }
}

@Suite struct KeyLifetimeTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    @Test(arguments: [("45s", 45.0), ("30m", 1800), ("12h", 43_200), ("90d", 7_776_000), ("2w", 1_209_600), ("1y", 31_536_000)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(KeyLifetime.expiry(from: text, now: now) == now.addingTimeInterval(seconds))
    }

    @Test func datesAndNonsense() {
        #expect(KeyLifetime.expiry(from: "2030-01-02") != nil)
        #expect(KeyLifetime.expiry(from: "2030-01-02T03:04:05Z") != nil)
        #expect(KeyLifetime.expiry(from: "soon") == nil)
        #expect(KeyLifetime.expiry(from: "0d") == nil)
    }
}

@Suite struct ClientAddressTests {
    @Test func rangesMatchAddressesInsideOnly() throws {
        let v4 = try #require(IPRange("10.1.0.0/16"))
        #expect(v4.contains("10.1.200.3"))
        #expect(!v4.contains("10.2.0.1"))
        let v6 = try #require(IPRange("fd00::/8"))
        #expect(v6.contains("fd12::1"))
        #expect(!v6.contains("fe80::1"))
        #expect(IPRange("not-an-ip") == nil)
        #expect(IPRange("10.0.0.0/33") == nil)
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() {
        let resolver = ClientAddressResolver(trustedProxies: ["127.0.0.1", "10.0.0.0/8"])
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwardedFor: "203.0.113.9") == "203.0.113.9")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwardedFor: "198.51.100.1, 203.0.113.9, 10.0.0.5") == "203.0.113.9")
        #expect(resolver.clientAddress(peer: "192.0.2.7", forwardedFor: "203.0.113.9") == "192.0.2.7")
        #expect(ClientAddressResolver(trustedProxies: []).clientAddress(peer: "127.0.0.1", forwardedFor: "1.2.3.4") == "127.0.0.1")
    }
}

@Suite struct CORSPolicyTests {
    @Test func originMatching() {
        var settings = CORSSettings()
        settings.allowOrigins = ["https://a.example"]
        let exact = CORSPolicy(settings)
        #expect(exact.allowedOriginValue(for: "https://a.example") == "https://a.example")
        #expect(exact.allowedOriginValue(for: "https://b.example") == nil)
        settings.allowOrigins = ["*"]
        #expect(CORSPolicy(settings).allowedOriginValue(for: "https://b.example") == "*")
        settings.allowCredentials = true
        #expect(CORSPolicy(settings).allowedOriginValue(for: "https://b.example") == "https://b.example")
    }
}

@Suite struct RequestLogTests {
    @Test func sensitiveQueryValuesAreRedacted() {
        var settings = LoggingSettings()
        settings.sensitiveQueryParameters = ["token", "api_key"]
        let middleware = RequestLog(logger: .init(label: "test"), settings: settings)
        #expect(middleware.redactedTarget(path: "/api/x", query: "token=abc&page=2&API_KEY=z") == "/api/x?token=***&page=2&API_KEY=***")
        #expect(middleware.redactedTarget(path: "/api/x", query: nil) == "/api/x")
    }

    @Test func rotatingFileKeepsTheConfiguredNumberOfFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "logs-\(UUID().uuidString)")
        let url = directory.appending(path: "server.log")
        let sink = try RotatingFileSink(url: url, maxBytes: 4096, keep: 2)
        for index in 0..<500 { sink.write("line \(index) " + String(repeating: "x", count: 40) + "\n") }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["server.log", "server.log.1", "server.log.2"])
        for name in names {
            let size = try FileManager.default.attributesOfItem(atPath: directory.appending(path: name).path)[.size] as? Int ?? 0
            #expect(size <= 4096)
        }
        #expect(try String(contentsOf: url, encoding: .utf8).contains("line 499"))
    }

    @Test func jsonLinesCarryMessageAndMetadata() throws {
        let line = LogLineFormat(format: .json).render(level: .info, message: "response GET /api/x", metadata: ["status": "200"], label: "plughost")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(object?["message"] == "response GET /api/x")
        #expect(object?["status"] == "200")
        #expect(object?["level"] == "info")
    }
}
