import Foundation
import Testing

/// Plugin middlewares over real HTTP: the Swift request-ID middleware, the C 403 middleware, the
/// configured order, what a middleware may not touch, and a hook that never answers.
@Suite struct MiddlewareTests {
    static func fixtureWithMiddleware(_ name: String, into plugins: URL, extra: [String] = []) throws {
        try FixturePlugins.build(name: name, defines: ["FIXTURE_NAME=\"\(name)\"", "FIXTURE_PREFIX=\"/\(name)\"", "FIXTURE_MIDDLEWARE"] + extra, into: plugins)
    }

    @Test func requestIDReachesPluginRoutesBuiltinsAndTheRoute() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let host = try HostProcess(site: site)
        var made: Set<String> = []
        for path in ["/api/hello", "/api/health", "/api/openapi.json", "/api/fixture/items/3"] {
            let id = try HTTP.get("\(host.baseURL)\(path)").headers["x-request-id"]
            #expect(id?.count == 36, "\(path) has X-Request-ID \(id ?? "none")")
            // A version 4 UUID, lower case, and a new one for each request.
            #expect(id?.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id ?? "none")")
            made.insert(id ?? "")
        }
        #expect(made.count == 4)
        // The route sees the ID the middleware set, and the response echoes the same one.
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/echo-headers")
        let seen = try #require(try answer.json()["x-request-id"] as? String)
        #expect(seen == answer.headers["x-request-id"])
        // A client's sane ID is kept; one that could smuggle text into logs is replaced.
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["X-Request-ID": "trace-42.a_b"]).headers["x-request-id"] == "trace-42.a_b")
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["X-Request-ID": "bad id\"<x>"]).headers["x-request-id"]?.count == 36)
        // Outside /api (static files, 404 pages) middlewares do not run.
        #expect(try HTTP.get("\(host.baseURL)/").headers["x-request-id"] == nil)
    }

    @Test func hostTomlOrderIsHonouredAndRestartingWithAnotherOrderChangesTheChain() throws {
        let site = try HostProcess.makeSite(config: "[middleware]\norder = [\"beta-mark\", \"alpha-mark\"]\n") { plugins in
            try Self.fixtureWithMiddleware("alpha", into: plugins)
            try Self.fixtureWithMiddleware("beta", into: plugins)
        }
        var host = try HostProcess(site: site)
        var answer = try HTTP.get("\(host.baseURL)/api/alpha/echo-headers")
        // Request hooks in the configured order; response hooks in reverse.
        #expect(try answer.json()["x-trail"] as? String == "beta,alpha")
        #expect(answer.headers["x-trail"] == "alpha,beta")
        _ = host.stop()

        // beta-mark taken out of the order: it now runs after the listed one.
        try "[tls]\nenabled = false\n[middleware]\norder = [\"alpha-mark\"]\n".write(to: site.appending(path: "host.toml"), atomically: true, encoding: .utf8)
        host = try HostProcess(site: site)
        answer = try HTTP.get("\(host.baseURL)/api/alpha/echo-headers")
        #expect(try answer.json()["x-trail"] as? String == "alpha,beta")
    }

    @Test func unlistedMiddlewaresRunByPluginNameAndAreListed() throws {
        let site = try HostProcess.makeSite(config: "[middleware]\norder = [\"nobody\"]\n") { plugins in
            try Self.fixtureWithMiddleware("zeta", into: plugins)
            try Self.fixtureWithMiddleware("alpha", into: plugins)
        }
        let key = try SecurityTests.newKey(["--name", "ops"], config: site.appending(path: "host.toml").path)
        let host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)/api/zeta/echo-headers").json()["x-trail"] as? String == "alpha,zeta")
        #expect(host.output.contains("[middleware] order names \"nobody\", which no loaded plugin registers"))
        let inventory = try HTTP.request("GET", "\(host.baseURL)/api/plugins", headers: ["X-API-Key": key]).json()
        #expect(inventory["middleware_order"] as? [String] == ["alpha-mark", "zeta-mark"])
        let plugins = try #require(inventory["plugins"] as? [[String: Any]])
        let alpha = try #require(plugins.first { $0["name"] as? String == "alpha" })
        let middleware = try #require((alpha["middlewares"] as? [[String: Any]])?.first)
        #expect(middleware["name"] as? String == "alpha-mark")
        #expect(middleware["request_hook"] as? Bool == true && middleware["response_hook"] as? Bool == true)

        let inspect = try run(Paths.plughost.path, ["plugins", "inspect", site.appending(path: "plugins/libalpha.so").path])
        #expect(inspect.output.contains("middlewares:\n  alpha-mark (request+response hooks, every /api route, non-blocking)"), "\(inspect.combined)")
    }

    @Test func aMiddlewareCannotRemoveSecurityOrRateLimitHeadersNorForgeTheKey() throws {
        let site = try HostProcess.makeSite { plugins in try Self.fixtureWithMiddleware("alpha", into: plugins) }
        let host = try HostProcess(site: site)
        let answer = try HTTP.get("\(host.baseURL)/api/alpha/echo-headers")
        #expect(answer.status == 200)
        #expect(answer.headers["x-frame-options"] == "DENY")
        #expect(answer.headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true)
        #expect(answer.headers["ratelimit"] != nil && answer.headers["ratelimit-policy"] != nil)
        #expect(answer.headers["x-trail"] == "alpha")
        let seen = try answer.json()
        #expect(seen["x-api-key"] == nil)
        #expect(host.output.contains("may not change X-API-Key in middleware 'alpha-mark' (request hook)"))
        #expect(host.output.contains("may not change X-Frame-Options in middleware 'alpha-mark' (response hook)"))
    }

    @Test func theCMiddlewaresForbiddenAnswerStopsTheRequestBeforeTheRoute() throws {
        let site = try HostProcess.makeSite(config: """
            [metrics]
            auth_required = false

            [plugins.hello-c]
            block_header = "X-Block"
            block_value = "yes"
            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.installCExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        func greetings() throws -> Double {
            let line = try HTTP.get("\(host.baseURL)/api/metrics").text.split(separator: "\n").first { $0.hasPrefix("plugin_example_greetings_total ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        let before = try greetings()
        let blocked = try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["X-Block": "yes"])
        #expect(blocked.status == 403)
        #expect(blocked.text.contains("Blocked by the hello-c middleware"))
        #expect(blocked.headers["x-content-type-options"] == "nosniff")
        // The route never ran: its counter did not move.
        #expect(try greetings() == before)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["X-Block": "no"]).status == 200)
        #expect(try greetings() == before + 1)
    }

    @Test func aHookThatNeverAnswersGets504() throws {
        let site = try HostProcess.makeSite(config: "[server]\nhandler_timeout = 1\n") { plugins in
            try FixturePlugins.build(name: "quiet", defines: ["FIXTURE_NAME=\"quiet\"", "FIXTURE_PREFIX=\"/quiet\"", "FIXTURE_MIDDLEWARE_SILENT"], into: plugins)
        }
        let host = try HostProcess(site: site)
        let started = Date()
        let answer = try HTTP.get("\(host.baseURL)/api/quiet/echo-headers")
        #expect(answer.status == 504)
        #expect(Date().timeIntervalSince(started) < 5)
        // Its scope is that one path: the others are untouched.
        #expect(try HTTP.get("\(host.baseURL)/api/quiet/items/1").status == 200)
    }
}
