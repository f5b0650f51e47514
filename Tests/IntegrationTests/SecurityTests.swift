import Foundation
import Testing

/// API keys, per-route auth, security headers and request logging, over real HTTP against the real binary.
@Suite(.serialized)
struct SecurityTests {
    let host: HostProcess
    /// Every key made for this suite: none may ever appear in a log.
    let admin: String
    let reader: String

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [auth]
            reload_interval = 0.2

            [security_headers]
            hsts_max_age = 600
            hsts_include_subdomains = false
            content_security_policy = "default-src 'none'"
            referrer_policy = "no-referrer"
            x_frame_options = "SAMEORIGIN"

            [logging]
            file = "logs/server.log"
            max_file_size = 8192
            max_files = 2
            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let config = site.appending(path: "host.toml").path
        admin = try Self.newKey(["--name", "admin-key", "--scope", "admin"], config: config)
        reader = try Self.newKey(["--name", "reader-key"], config: config)
        host = try HostProcess(site: site)
    }

    static func newKey(_ arguments: [String], config: String) throws -> String {
        let result = try run(Paths.plughost.path, ["keys", "new"] + arguments + ["--config", config])
        guard result.status == 0 else { throw FixtureError(message: "keys new failed: \(result.combined)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func get(_ path: String, key: String? = nil, headers: [String: String] = [:]) throws -> HTTPAnswer {
        var headers = headers
        if let key { headers["X-API-Key"] = key }
        return try HTTP.request("GET", "\(host.baseURL)\(path)", headers: headers)
    }

    @Test func newKeysLookLikeKeysAndAreNotStored() throws {
        #expect(admin.hasPrefix("ph_"))
        #expect(admin.count >= 50)
        let file = host.site.appending(path: "keys.toml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(!text.contains(admin) && !text.contains(reader))
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func keysListShowsNamesAndPrefixesButNoSecret() throws {
        let result = try host.command(["keys", "list"])
        #expect(result.status == 0)
        #expect(result.output.contains("admin-key") && result.output.contains("reader-key"))
        #expect(result.output.contains(String(admin.prefix(11))))
        #expect(!result.output.contains(admin) && !result.output.contains(reader))
    }

    @Test func missingKeyIs401WithAHintNamingTheHeader() throws {
        let answer = try get("/api/whoami")
        #expect(answer.status == 401)
        #expect(answer.headers["www-authenticate"] == #"APIKey header="X-API-Key""#)
        #expect(try answer.json()["detail"] as? String == "Missing API key: send it in the X-API-Key header.")
    }

    @Test func wrongKeyIs401() throws {
        #expect(try get("/api/whoami", key: "ph_notakey_at_all").status == 401)
        #expect(try get("/api/whoami", key: admin + "x").status == 401)
    }

    @Test func validKeyReachesThePluginWhichSeesTheKeyName() throws {
        let answer = try get("/api/whoami", key: reader)
        #expect(answer.status == 200)
        #expect(try answer.json()["key"] as? String == "reader-key")
    }

    @Test func keyWithoutTheRoutesScopeIs403() throws {
        #expect(try get("/api/admin", key: reader).status == 403)
        #expect(try get("/api/admin", key: admin).status == 200)
    }

    @Test func openRouteNeedsNoKey() throws {
        #expect(try get("/api/hello").status == 200)
        #expect(try get("/api/health").status == 200)
    }

    @Test func loginConfirmsAValidKeyLikeTheSeed() throws {
        #expect(try get("/api/login").status == 401)
        let answer = try get("/api/login", key: admin)
        #expect(answer.status == 200)
        #expect(try answer.json()["message"] as? String == "Login successful.")
    }

    /// Clients that compare answers byte for byte (or read them with a streaming parser) need the
    /// same key order every time: message, then timestamp.
    @Test func loginAndHealthAnswerWithTheSameKeyOrderEveryTime() throws {
        for _ in 0..<30 {
            for (path, message) in [("/api/login", "Login successful."), ("/api/health", "PlugHost is running.")] {
                let body = try get(path, key: admin).text
                #expect(body.hasPrefix("{\"message\":\"\(message)\",\"timestamp\":\""), "\(path) answered \(body)")
                #expect(body.hasSuffix("Z\"}"), "\(path) answered \(body)")
            }
        }
    }

    @Test func expiredKeyIs401() throws {
        let key = try Self.newKey(["--name", "short-lived", "--expires", "1s"], config: host.site.appending(path: "host.toml").path)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try get("/api/whoami", key: key).status == 401)
        #expect(host.waitForOutput("key 'short-lived'"))
        #expect(!host.output.contains(key))
    }

    @Test func keyRevokedWhileTheHostRunsIsRefusedWithinASecond() throws {
        let key = try Self.newKey(["--name", "revoke-me"], config: host.site.appending(path: "host.toml").path)
        #expect(waitFor(status: 200, path: "/api/whoami", key: key))
        #expect(try host.command(["keys", "revoke", "revoke-me"]).status == 0)
        let revoked = Date()
        #expect(waitFor(status: 401, path: "/api/whoami", key: key))
        #expect(Date().timeIntervalSince(revoked) < 1.0)
    }

    @Test func sighupReloadsTheKeyFileAtOnce() throws {
        let key = try Self.newKey(["--name", "hup"], config: host.site.appending(path: "host.toml").path)
        host.send(SIGHUP)
        #expect(waitFor(status: 200, path: "/api/whoami", key: key))
        #expect(host.isRunning, "SIGHUP must not end the host")
    }

    @Test(arguments: ["/api/hello", "/api/whoami", "/api/nope", "/api/fixture/fail", "/api/fixture/weaken", "/api/health"])
    func everyResponseCarriesTheConfiguredSecurityHeaders(path: String) throws {
        let answer = try get(path)
        #expect([200, 401, 404, 500].contains(answer.status))
        #expect(answer.headers["strict-transport-security"] == "max-age=600")
        #expect(answer.headers["x-content-type-options"] == "nosniff")
        #expect(answer.headers["x-frame-options"] == "SAMEORIGIN")
        #expect(answer.headers["content-security-policy"] == "default-src 'none'")
        #expect(answer.headers["x-xss-protection"] == "0")
        #expect(answer.headers["referrer-policy"] == "no-referrer")
    }

    @Test func corsIsOffByDefaultEvenIfAPluginSetsCORSHeaders() throws {
        for path in ["/api/hello", "/api/fixture/headers"] {
            let answer = try get(path, headers: ["Origin": "https://app.example.com"])
            #expect(answer.status == 200)
            #expect(!answer.headers.keys.contains { $0.hasPrefix("access-control-") }, "\(path)")
        }
    }

    @Test func pluginNeverSeesTheKeyOnlyItsName() throws {
        let json = try get("/api/fixture/headers", key: reader, headers: ["X-Other": "1"]).json()
        let names = try #require(json["names"] as? [String])
        #expect(names.contains("x-other"))
        #expect(!names.contains("x-api-key"))
        #expect(json["key"] as? String == "reader-key")
    }

    @Test func emptyKeyHeaderOnAnOpenRouteIsNoKey() throws {
        #expect(try get("/api/hello", headers: ["X-API-Key": ""]).status == 200)
    }

    /// A request answered at once has one line, its response line, with the key's name and prefix;
    /// a failed attempt has its own line.
    @Test func logFileHasResponseAndAuthLinesButNoKey() throws {
        _ = try get("/api/whoami", key: reader)
        _ = try get("/api/whoami", key: admin + "x")
        _ = try get("/api/hello?token=\(admin)&page=2")
        let log = host.site.appending(path: "logs/server.log")
        #expect(waitForFile(log, containing: "response GET /api/hello?token=***&page=2"))
        var text = try String(contentsOf: log, encoding: .utf8)
        for rotated in 1...2 { text += (try? String(contentsOf: URL(filePath: log.path + ".\(rotated)"), encoding: .utf8)) ?? "" }
        #expect(text.contains("response GET /api/whoami client=127.0.0.1 duration_ms="))
        #expect(text.contains("key=reader-key key_prefix=\(reader.prefix(11)) plugin=example status=200"))
        #expect(!text.contains("auth ok"))
        #expect(text.contains("auth failed: a key with prefix \(admin.prefix(11)) but the wrong secret"))
        #expect(text.contains("status=200"))
        for key in [admin, reader] {
            #expect(!text.contains(key))
            #expect(!host.output.contains(key))
            #expect(!text.contains(String(key.dropFirst(11))), "not even the secret part of a key")
        }
    }

    @Test func logFileRotatesAtTheConfiguredSize() throws {
        for _ in 0..<60 { _ = try get("/api/health") }
        let log = host.site.appending(path: "logs/server.log").path
        #expect(FileManager.default.fileExists(atPath: log + ".1"))
        #expect(!FileManager.default.fileExists(atPath: log + ".3"), "max_files = 2 keeps two rotated files")
        let size = try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int ?? 0
        #expect(size <= 8192)
    }

    private func waitFor(status: Int, path: String, key: String, seconds: Double = 2) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? get(path, key: key).status) == status { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    private func waitForFile(_ url: URL, containing text: String) -> Bool {
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            if let content = try? String(contentsOf: url, encoding: .utf8), content.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

/// CORS when enabled: preflight without auth, origins checked, credentials never with `*`.
@Suite struct CORSTests {
    private func host(_ cors: String) throws -> HostProcess {
        let site = try HostProcess.makeSite(config: "[cors]\nenabled = true\n\(cors)") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        return try HostProcess(site: site)
    }

    private func preflight(_ host: HostProcess, origin: String, path: String = "/api/whoami") throws -> HTTPAnswer {
        try HTTP.request("OPTIONS", "\(host.baseURL)\(path)", headers: [
            "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-API-Key",
        ])
    }

    @Test func preflightFromAnAllowedOriginIsAnswered204WithoutAuth() throws {
        let host = try host(#"allow_origins = ["https://app.example.com"]"# + "\nmax_age = 120\n")
        let answer = try preflight(host, origin: "https://app.example.com")
        #expect(answer.status == 204)
        #expect(answer.headers["access-control-allow-origin"] == "https://app.example.com")
        #expect(answer.headers["access-control-allow-headers"]?.contains("X-API-Key") == true)
        #expect(answer.headers["access-control-allow-methods"]?.contains("GET") == true)
        #expect(answer.headers["access-control-max-age"] == "120")
        #expect(answer.headers["x-content-type-options"] == "nosniff")
        let simple = try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["Origin": "https://app.example.com"])
        #expect(simple.headers["access-control-allow-origin"] == "https://app.example.com")
    }

    @Test func preflightFromAnotherOriginGetsNoAllowHeader() throws {
        let host = try host(#"allow_origins = ["https://app.example.com"]"# + "\n")
        let answer = try preflight(host, origin: "https://evil.example.net")
        #expect(answer.headers["access-control-allow-origin"] == nil)
        let simple = try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["Origin": "https://evil.example.net"])
        #expect(simple.headers["access-control-allow-origin"] == nil)
    }

    @Test func wildcardWithCredentialsReflectsTheOriginInsteadOfStar() throws {
        let host = try host("allow_origins = [\"*\"]\nallow_credentials = true\n")
        let answer = try preflight(host, origin: "https://any.example.org")
        #expect(answer.headers["access-control-allow-origin"] == "https://any.example.org")
        #expect(answer.headers["access-control-allow-credentials"] == "true")
        #expect(answer.headers["vary"]?.contains("Origin") == true)
    }

    @Test func wildcardWithoutCredentialsIsStar() throws {
        let host = try host("allow_origins = [\"*\"]\n")
        let answer = try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["Origin": "https://any.example.org"])
        #expect(answer.headers["access-control-allow-origin"] == "*")
        #expect(answer.headers["access-control-allow-credentials"] == nil)
    }
}

/// The seed's single key from the environment, for migration.
@Suite struct EnvironmentKeyTests {
    @Test func apiTokenHashFromTheEnvironmentIsAccepted() throws {
        let token = "seed-style-token-\(UUID().uuidString)"
        let hash = try run("sh", ["-c", "printf %s '\(token)' | sha256sum | cut -d' ' -f1"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site, environment: ["API_TOKEN_HASH": hash])
        let answer = try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": token])
        #expect(answer.status == 200)
        #expect(try answer.json()["key"] as? String == "API_TOKEN_HASH")
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": token + "!"]).status == 401)
        #expect(!host.output.contains(token))
    }

    @Test func apiTokenHashFromADotenvFileIsAccepted() throws {
        let token = "dotenv-token-\(UUID().uuidString)"
        let hash = try run("sh", ["-c", "printf %s '\(token)' | sha256sum | cut -d' ' -f1"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        try "# seed settings\nAPI_TOKEN_HASH=\"\(hash)\"\n".write(to: site.appending(path: ".env"), atomically: true, encoding: .utf8)
        let host = try HostProcess(site: site)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/whoami", headers: ["X-API-Key": token]).status == 200)
    }
}
