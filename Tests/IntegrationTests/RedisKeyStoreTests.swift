import Foundation
import Testing

/// API keys in Redis (`[auth] store`), against a real redis-server with TLS and ACL users:
/// `plughost keys` and `plughost check` against it, hosts that keep their keys through an outage,
/// and a store that holds hashes only.
@Suite(.serialized) struct RedisKeyStoreTests {
    static let host = RedisServer.User(name: "plughost", password: "host-Secret-pw")
    static let admin = RedisServer.User(name: "admin", password: "admin-Secret-pw")

    /// A site whose keys live in `redis` as `user`.
    private func site(_ redis: RedisServer, as user: RedisServer.User? = nil, extra: String = "") throws -> URL {
        let caFile = redis.certificates.map { "[redis]\nca_file = \"\($0.caFile.path)\"\n" } ?? ""
        return try HostProcess.makeSite(config: "[auth]\nstore = \"\(redis.url(as: user ?? redis.users.first))\"\n\(caFile)\(extra)") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
    }

    private func keys(_ site: URL, _ arguments: [String]) throws -> CommandResult {
        try run(Paths.plughost.path, ["keys"] + arguments + ["--config", site.appending(path: "host.toml").path])
    }

    @Test func keysMadeListedImportedAndRevokedInRedisHoldHashesOnly() throws {
        let directory = try makeTemporaryDirectory("redis-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        let redis = try RedisServer(users: [Self.host], certificates: TestCertificates(in: directory))
        let site = try site(redis)
        defer { try? FileManager.default.removeItem(at: site) }
        let first = try keys(site, ["new", "--name", "first", "--scope", "admin", "--expires", "30d"])
        #expect(first.status == 0, "\(first.combined)")
        #expect(first.error.contains("Created key 'first' in \(redis.redactedURL)"), "\(first.error)")
        let again = try keys(site, ["new", "--name", "first"])
        #expect(again.status == 1 && again.error.contains("a key named 'first' exists already"), "\(again.combined)")

        // A keys.toml made the old way, moved into the store.
        let fileSite = try HostProcess.makeSite(config: "") { _ in }
        defer { try? FileManager.default.removeItem(at: fileSite) }
        let filed = try SecurityTests.newKey(["--name", "from-file"], config: fileSite.appending(path: "host.toml").path)
        let moved = try keys(site, ["import", "--file", fileSite.appending(path: "keys.toml").path])
        #expect(moved.status == 0, "\(moved.combined)")
        #expect(moved.output.contains("copied 1 key(s)"), "\(moved.output)")
        let twice = try keys(site, ["import", "--file", fileSite.appending(path: "keys.toml").path])
        #expect(twice.status == 0 && twice.output.contains("copied 0 key(s)") && twice.output.contains("1 were there already"), "\(twice.combined)")

        let list = try keys(site, ["list"])
        #expect(list.status == 0, "\(list.combined)")
        #expect(list.output.contains("first") && list.output.contains("from-file") && list.output.contains("admin"), "\(list.output)")

        let host = try HostProcess(site: site)
        let secret = first.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": secret]).status == 200)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": filed]).status == 200, "the imported key works")

        let dump = try redis.everything()
        #expect(dump.contains("from-file") && dump.contains("first"), "the scan saw the records: \(dump)")
        for key in [secret, filed] {
            #expect(!dump.contains(key), "a key is in Redis")
            #expect(!dump.contains(String(key.dropFirst(12))), "a key's secret is in Redis")
        }
        #expect(!host.output.contains(Self.host.password), "the password is never logged")
        let config = try HTTP.request("GET", "\(host.baseURL)/api/config", headers: ["X-API-Key": secret])
        #expect(config.status == 200)
        let auth = try config.json()["auth"] as? [String: Any]
        #expect(auth?["store"] as? String == redis.redactedURL, "\(config.text)")
        #expect(!config.text.contains(Self.host.password))

        // Records another program wrote into the hash: a name that could forge a log line, a value
        // that is not a record, a digest that is not hex. Each is left out, never taken for a key,
        // and the good ones keep working.
        for (field, value) in [("evil\r\nauth ok: key 'root'", KeyRecordText.valid), ("broken", "not json"),
                               ("badhex", KeyRecordText.valid.replacingOccurrences(of: "\"sha256\":\"", with: "\"sha256\":\"zz"))] {
            #expect(try redis.cli(["hset", "plughost:keys", field, value]).status == 0)
        }
        #expect(try redis.cli(["set", "plughost:keys:version", "tampered"]).status == 0)
        Thread.sleep(forTimeInterval: 1)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": secret]).status == 200)
        // Once at start, once after the tampering: 2 keys both times, the hostile records not counted.
        #expect(host.output.components(separatedBy: "API keys loaded from \(redis.redactedURL): 2 key(s)").count - 1 == 2, "\(host.output)")
        #expect(!host.output.contains("\nauth ok: key 'root'"), "no forged log line")
        let listed = try keys(site, ["list"])
        #expect(!listed.output.contains("evil") && !listed.output.contains("broken") && !listed.output.contains("badhex"), "\(listed.output)")

        let revoke = try keys(site, ["revoke", "first"])
        #expect(revoke.status == 0, "\(revoke.combined)")
        #expect(try keys(site, ["revoke", "first"]).status == 1, "revoking twice says there is no such key")
        var refused = false
        for _ in 0..<50 where !refused {
            refused = try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": secret]).status == 401
            if !refused { Thread.sleep(forTimeInterval: 0.02) }
        }
        #expect(refused, "the revoked key is refused within a second")
    }

    /// A well-formed record's JSON, for hostile variants of it.
    enum KeyRecordText {
        static let valid = #"{"created":"2026-12-01T00:00:00Z","prefix":"ph_AAAAAAAA","scopes":[],"sha256":"\#(String(repeating: "ab", count: 32))"}"#
    }

    @Test func checkSaysWhatIsWrongWithTheKeyStore() throws {
        let directory = try makeTemporaryDirectory("redis-check")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates(in: directory.appending(path: "good"))
        let other = try TestCertificates(in: directory.appending(path: "other"))
        let redis = try RedisServer(users: [Self.host], certificates: certificates)
        func check(_ config: String) throws -> CommandResult {
            let site = try HostProcess.makeSite(config: config) { _ in }
            defer { try? FileManager.default.removeItem(at: site) }
            return try run(Paths.plughost.path, ["check", "--config", site.appending(path: "host.toml").path])
        }
        let ca = "[redis]\nca_file = \"\(certificates.caFile.path)\"\n"

        let good = try check("[auth]\nstore = \"\(redis.url)\"\n\(ca)")
        #expect(good.status == 0, "\(good.combined)")
        #expect(good.output.contains("api keys: ok (0 in \(redis.redactedURL))"), "\(good.combined)")

        let free = try freeLoopbackPort()
        let unreachable = try check("[auth]\nstore = \"redis://127.0.0.1:\(free)/0\"\n")
        #expect(unreachable.status == 2)
        #expect(unreachable.error.contains("key store error (redis://127.0.0.1:\(free)/0): cannot connect to Redis at redis://127.0.0.1:\(free)/0 ([auth] store)"),
                "\(unreachable.combined)")

        let wrongPassword = try check("[auth]\nstore = \"\(redis.url(as: .init(name: Self.host.name, password: "not-the-password")))\"\n\(ca)")
        #expect(wrongPassword.status == 2)
        #expect(wrongPassword.error.contains("refused AUTH: WRONGPASS"), "\(wrongPassword.combined)")
        #expect(!wrongPassword.combined.contains("not-the-password"), "the password is never shown")

        let wrongCA = try check("[auth]\nstore = \"\(redis.url)\"\n[redis]\nca_file = \"\(other.caFile.path)\"\n")
        #expect(wrongCA.status == 2)
        #expect(wrongCA.error.contains("TLS failed") && wrongCA.error.contains("[redis] ca_file"), "\(wrongCA.combined)")
        #expect(!wrongCA.combined.contains(Self.host.password))

        let missingCA = try check("[auth]\nstore = \"\(redis.url)\"\n[redis]\nca_file = \"\(directory.path)/nope.pem\"\n")
        #expect(missingCA.status == 2)
        #expect(missingCA.error.contains("cannot read the CA certificates in \(directory.path)/nope.pem ([redis] ca_file)"), "\(missingCA.combined)")

        // A server that accepts connections and never answers: the store's deadline ends the wait.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) == 0 && listen(silent, 16) == 0 && getsockname(silent, $0, &length) == 0 }
        }
        #expect(listening)
        let silentPort = Int(UInt16(bigEndian: address.sin_port))
        let started = Date()
        let hanging = try check("[auth]\nstore = \"redis://127.0.0.1:\(silentPort)/0\"\nstore_timeout = 0.3\n")
        #expect(hanging.status == 2)
        #expect(hanging.error.contains("did not complete the connection") || hanging.error.contains("did not answer within 300 ms"), "\(hanging.combined)")
        #expect(Date().timeIntervalSince(started) < 10, "bounded by [auth] store_timeout")

        let notAURL = try check("[auth]\nstore = \"redis://u@127.0.0.1:\(redis.port)/0\"\n")
        #expect(notAURL.status == 2)
        #expect(notAURL.error.contains("key 'auth.store': expected \"file\" or a URL"), "\(notAURL.combined)")

        let rateLimit = try check("[rate_limit]\nstore = \"\(redis.url(as: .init(name: Self.host.name, password: "wrong")))\"\n\(ca)")
        #expect(rateLimit.status == 2)
        #expect(rateLimit.error.contains("rate-limit store error (rediss://plughost:***@127.0.0.1:\(redis.port)/0)"), "\(rateLimit.combined)")
    }

    /// While a host cannot reach the store it checks against the keys it saw last; a key revoked
    /// meanwhile (by an operator who can reach the store) stops working when the host reaches it again.
    @Test func aRevocationDuringAnOutageTakesEffectWhenItEnds() throws {
        let redis = try RedisServer(users: [Self.admin, Self.host])
        let hostSite = try site(redis, as: Self.host)
        let adminSite = try site(redis, as: Self.admin)
        defer { try? FileManager.default.removeItem(at: adminSite) }
        let made = try keys(adminSite, ["new", "--name", "ci"])
        let key = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let host = try HostProcess(site: hostSite)
        let url = "\(host.baseURL)/api/whoami"
        #expect(try HTTP.request("GET", url, headers: ["X-API-Key": key]).status == 200)

        // The host's ACL user is switched off and its connection closed: it cannot reach the store.
        #expect(try redis.cli(["acl", "setuser", Self.host.name, "off"]).output.contains("OK"))
        _ = try redis.cli(["client", "kill", "user", Self.host.name])
        #expect(host.waitForOutput("API key store redis://plughost:***@127.0.0.1:\(redis.port)/0 cannot be reached", seconds: 3), "\(host.output)")
        #expect(try HTTP.request("GET", url, headers: ["X-API-Key": key]).status == 200, "the last keys seen stay in force")
        #expect(try keys(adminSite, ["revoke", "ci"]).status == 0)
        Thread.sleep(forTimeInterval: 1)
        #expect(try HTTP.request("GET", url, headers: ["X-API-Key": key]).status == 200, "the host has not seen the revocation yet")

        #expect(try redis.cli(["acl", "setuser", Self.host.name, "on"]).output.contains("OK"))
        #expect(host.waitForOutput("is reachable again: 0 key(s) in force", seconds: 3), "\(host.output)")
        #expect(try HTTP.request("GET", url, headers: ["X-API-Key": key]).status == 401, "the revocation took effect")
        #expect(host.output.components(separatedBy: "cannot be reached").count - 1 == 1, "one line per outage")
        #expect(!host.output.contains(Self.host.password))
    }
}
