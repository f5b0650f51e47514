import Foundation
import Testing

/// Rate limiting over real HTTP against the real binary; Redis tests use a real redis-server.
@Suite struct RateLimitTests {
    private func host(_ config: String) throws -> HostProcess {
        try hostWithKeys(config, names: []).host
    }

    /// A host whose keys exist before it starts, so no test waits for a reload.
    private func hostWithKeys(_ config: String, names: [String]) throws -> (host: HostProcess, keys: [String]) {
        let site = try HostProcess.makeSite(config: config) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let keys = try names.map { try SecurityTests.newKey(["--name", $0], config: site.appending(path: "host.toml").path) }
        return (try HostProcess(site: site), keys)
    }

    @Test func exactlyTheConfiguredNumberPassUnderConcurrency() throws {
        let host = try host("[rate_limit]\nrate = \"5/second\"\n")
        let statuses = try HTTP.parallelStatuses("\(host.baseURL)/api/hello", count: 50)
        #expect(statuses.count == 50)
        #expect(statuses.filter { $0 == 200 }.count == 5)
        #expect(statuses.filter { $0 == 429 }.count == 45)
        let refused = try HTTP.get("\(host.baseURL)/api/hello")
        #expect(refused.status == 429)
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(refused.headers["ratelimit-policy"] == #""default";q=5;w=1"#)
        #expect(refused.headers["ratelimit"]?.hasPrefix(#""default";r=0;t="#) == true)
        #expect(refused.headers["content-type"] == "application/problem+json")
        let problem = try refused.json()
        #expect(problem["status"] as? Int == 429)
        #expect(problem["policy"] as? String == "default")
        #expect(refused.headers["x-content-type-options"] == "nosniff", "429s carry the security headers too")
    }

    @Test func allowedAnswersCarryBothRateLimitFields() throws {
        let host = try host("[rate_limit]\nrate = \"100/minute\"\n")
        let answer = try HTTP.get("\(host.baseURL)/api/hello")
        #expect(answer.headers["ratelimit-policy"] == #""default";q=100;w=60"#)
        #expect(answer.headers["ratelimit"]?.hasPrefix(#""default";r=99;t="#) == true)
        #expect(answer.headers["x-ratelimit-limit"] == nil)
    }

    @Test func legacyHeadersOnRequest() throws {
        let host = try host("[rate_limit]\nrate = \"10/minute\"\nlegacy_headers = true\n")
        let answer = try HTTP.get("\(host.baseURL)/api/hello")
        #expect(answer.headers["x-ratelimit-limit"] == "10")
        #expect(answer.headers["x-ratelimit-remaining"] == "9")
    }

    @Test func eachKeyHasItsOwnBudget() throws {
        let (host, keys) = try hostWithKeys("[rate_limit]\nrate = \"3/minute\"\nkey = \"api_key_or_ip\"\n", names: ["first", "second"])
        let first = keys[0], second = keys[1]
        let url = "\(host.baseURL)/api/whoami"
        let a = try HTTP.parallelStatuses(url, count: 5, headers: ["X-API-Key": first])
        let b = try HTTP.parallelStatuses(url, count: 5, headers: ["X-API-Key": second])
        #expect(a.filter { $0 == 200 }.count == 3)
        #expect(b.filter { $0 == 200 }.count == 3)
    }

    @Test func ipModeSharesOneBudgetBetweenKeys() throws {
        let (host, keys) = try hostWithKeys("[rate_limit]\nrate = \"3/minute\"\nkey = \"ip\"\n", names: ["first", "second"])
        let first = keys[0], second = keys[1]
        let url = "\(host.baseURL)/api/whoami"
        let statuses = try HTTP.parallelStatuses(url, count: 2, headers: ["X-API-Key": first])
            + HTTP.parallelStatuses(url, count: 2, headers: ["X-API-Key": second])
        #expect(statuses.filter { $0 == 200 }.count == 3)
    }

    @Test func failedKeyGuessesSpendTheAddressBudget() throws {
        let host = try host("[rate_limit]\nrate = \"3/minute\"\n")
        let statuses = try HTTP.parallelStatuses("\(host.baseURL)/api/login", count: 6, headers: ["X-API-Key": "ph_guessing_1234"])
        #expect(statuses.filter { $0 == 401 }.count == 3)
        #expect(statuses.filter { $0 == 429 }.count == 3)
    }

    @Test func flaggedRoutesAndHealthAreNotLimited() throws {
        let host = try host("[rate_limit]\nrate = \"2/minute\"\n")
        #expect(try HTTP.parallelStatuses("\(host.baseURL)/api/fixture/unlimited", count: 10).allSatisfy { $0 == 200 })
        #expect(try HTTP.parallelStatuses("\(host.baseURL)/api/health", count: 10).allSatisfy { $0 == 200 })
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/unlimited").headers["ratelimit"] == nil)
    }

    @Test func routeCostSpendsSeveralUnits() throws {
        let host = try host("[rate_limit]\nrate = \"5/minute\"\n")
        let first = try HTTP.get("\(host.baseURL)/api/fixture/expensive")
        #expect(first.status == 200)
        #expect(first.headers["ratelimit"]?.hasPrefix(#""default";r=2;"#) == true)
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/expensive").status == 429)
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 200, "two units are still left")
    }

    @Test func routeDescriptorOfAnABI10PluginIsReadOnlyAsFarAsItsStructSize() throws {
        let site = try HostProcess.makeSite(config: "[rate_limit]\nrate = \"5/minute\"\n") { plugins in
            try FixturePlugins.build(name: "old", defines: ["FIXTURE_NAME=\"old\"", "FIXTURE_ABI_MINOR=0", "FIXTURE_ROUTE_V1_0"], into: plugins)
        }
        let host = try HostProcess(site: site)
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/expensive")
        #expect(answer.status == 200)
        #expect(answer.headers["ratelimit"]?.hasPrefix(#""default";r=4;"#) == true, "cost 1: the field past struct_size was not read")
    }

    @Test func pluginAndRouteLimitsHaveTheirOwnBudgets() throws {
        let host = try host("""
            [rate_limit]
            rate = "100/minute"
            [rate_limit.routes]
            "GET /api/hello/{name}" = "1/minute"
            [plugins.fixture]
            rate = ["2/minute", "100/hour"]
            """)
        let routeLimited = try HTTP.parallelStatuses("\(host.baseURL)/api/hello/x", count: 3)
        #expect(routeLimited.filter { $0 == 200 }.count == 1)
        let pluginLimited = try HTTP.parallelStatuses("\(host.baseURL)/api/fixture/config", count: 4)
        #expect(pluginLimited.filter { $0 == 200 }.count == 2)
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/config")
        #expect(answer.headers["ratelimit-policy"] == #""fixture-1";q=2;w=60, "fixture-2";q=100;w=3600"#)
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200, "the default budget is untouched")
    }
}

/// Several instances sharing budgets through a real Redis.
@Suite(.serialized) struct RedisRateLimitTests {
    @Test func twoInstancesShareOneBudget() throws {
        let redis = try RedisServer()
        let config = "[rate_limit]\nrate = \"6/minute\"\nstore = \"\(redis.url)\"\n"
        let site = try HostProcess.makeSite(config: config) { try FixturePlugins.installExample(into: $0) }
        let copy = try HostProcess.makeSite(config: config) { try FixturePlugins.installExample(into: $0) }
        let one = try HostProcess(site: site), two = try HostProcess(site: copy)
        var statuses: [Int] = []
        for index in 0..<10 {
            statuses.append(try HTTP.get("\((index % 2 == 0 ? one : two).baseURL)/api/hello").status)
        }
        #expect(statuses.filter { $0 == 200 }.count == 6)
        #expect(statuses.filter { $0 == 429 }.count == 4)
    }

    @Test func redisOutageFollowsAllowLogsOnceAndRecovers() throws {
        let redis = try RedisServer()
        let site = try HostProcess.makeSite(config: "[rate_limit]\nrate = \"3/minute\"\nstore = \"\(redis.url)\"\non_store_error = \"allow\"\n") {
            try FixturePlugins.installExample(into: $0)
        }
        let host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        redis.kill()
        for _ in 0..<5 { #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200) }
        #expect(host.isRunning)
        #expect(host.output.components(separatedBy: "rate-limit store \(redis.url) failed").count - 1 == 1, "one log line per outage")
        try redis.start()
        // A fresh Redis has empty budgets: three pass, then limiting resumes.
        let statuses = try (0..<5).map { _ in try HTTP.get("\(host.baseURL)/api/hello").status }
        #expect(statuses == [200, 200, 200, 429, 429])
        #expect(host.waitForOutput("is reachable again; limiting resumed"))
    }

    @Test func redisOutageWithDenyRefusesWith503() throws {
        let redis = try RedisServer()
        let site = try HostProcess.makeSite(config: "[rate_limit]\nstore = \"\(redis.url)\"\non_store_error = \"deny\"\n") {
            try FixturePlugins.installExample(into: $0)
        }
        let host = try HostProcess(site: site)
        redis.kill()
        let answer = try HTTP.get("\(host.baseURL)/api/hello")
        #expect(answer.status == 503)
        #expect(answer.headers["retry-after"] == "1")
        #expect(host.isRunning)
    }
}
