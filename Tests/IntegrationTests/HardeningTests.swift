import Foundation
import Testing

/// `[limits]` against real sockets: bodies, heads, targets, slow and idle clients, connection
/// count, and input that is not HTTP at all.
@Suite struct HardeningTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [limits]
            request_head_timeout = 2
            idle_timeout = 1
            request_read_timeout = 1
            max_connections = 600
            # Every client of these tests, the 500 slowloris ones included, is 127.0.0.1.
            max_connections_per_client = 600

            [rate_limit]
            enabled = false
            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        host = try HostProcess(site: site)
    }

    func wire(_ arguments: [String]) throws -> [String: Any] {
        let result = try run("python3", [Paths.fixtures.appending(path: "wire.py").path] + arguments)
        guard result.status == 0 else { throw FixtureError(message: "wire.py \(arguments.first ?? "") failed: \(result.combined)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    func calls() throws -> Int { try HTTP.get("\(host.baseURL)/api/fixture/count").json()["calls"] as? Int ?? -1 }

    @Test func twoMebibyteBodyIs413AndThePluginIsNeverCalled() throws {
        let before = try calls()
        let answer = try HTTP.request("POST", "\(host.baseURL)/api/fixture/count", body: Data(count: 2 * 1_048_576))
        #expect(answer.status == 413)
        #expect((try answer.json()["detail"] as? String)?.contains("max_body_size") == true)
        #expect(try calls() == before)
        #expect(try HTTP.request("POST", "\(host.baseURL)/api/fixture/count", body: Data(count: 10)).status == 200)
        #expect(try calls() == before + 1)
    }

    @Test func aRouteMayRaiseItsOwnBodyLimit() throws {
        let accepted = try HTTP.request("POST", "\(host.baseURL)/api/fixture/upload", body: Data(count: 3 * 1_048_576))
        #expect(accepted.status == 200)
        #expect(try accepted.json()["bytes"] as? Int == 3 * 1_048_576)
        #expect(try HTTP.request("POST", "\(host.baseURL)/api/fixture/upload", body: Data(count: 5 * 1_048_576)).status == 413)
    }

    @Test func hundredKibibyteHeaderIs431() throws {
        let answer = try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: ["X-Big": String(repeating: "a", count: 100 * 1024)])
        #expect(answer.status == 431)
        #expect((try answer.json()["detail"] as? String)?.contains("max_header_size") == true)
        #expect(answer.headers["x-content-type-options"] == "nosniff")
        let many = Dictionary(uniqueKeysWithValues: (0..<150).map { ("X-Field-\($0)", "v") })
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/hello", headers: many).status == 431)
    }

    @Test func longTargetIs414() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/hello?q=\(String(repeating: "x", count: 10_000))")
        #expect(answer.status == 414)
        #expect(try HTTP.get("\(host.baseURL)/api/hello?q=\(String(repeating: "x", count: 4_000))").status == 200)
    }

    @Test func oneHeaderByteASecondIsCutOffAtTheHeadTimeout() throws {
        let result = try wire(["drip", "\(host.port)", "GET /api/health HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: aaaaaaaaaa\\r\\n\\r\\n", "1", "15"])
        #expect(result["status"] as? String == "HTTP/1.1 408 Request Timeout")
        #expect(result["closed"] as? Bool == true)
        let seconds = try #require(result["seconds"] as? Double)
        #expect(seconds >= 1.9 && seconds < 4, "closed after \(seconds) s")
    }

    @Test func fiveHundredSlowClientsDoNotSlowANormalOne() throws {
        let result = try wire(["slowloris", "\(host.port)", "500", "5", "200"])
        #expect(result["requests"] as? Int == 200, "\(result)")
        let p99 = try #require(result["p99_ms"] as? Double)
        #expect(p99 < 100, "p99 \(p99) ms with 500 slow clients")
        #expect(result["slow_closed_by_server"] as? Int == 500, "\(result)")
    }

    @Test func idleKeptAliveConnectionIsClosedQuietly() throws {
        let result = try wire(["idle", "\(host.port)", "4"])
        #expect(result["status"] as? String == "HTTP/1.1 200 OK")
        #expect(result["closed"] as? Bool == true)
        #expect((result["seconds"] as? Double ?? 99) < 2.5)
    }

    @Test func aBodyThatStopsArrivingIsCutOffAtTheReadTimeoutAndNeverReachesThePlugin() throws {
        let before = try calls()
        let head = "POST /api/fixture/count HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"
        let result = try wire(["send", "\(host.port)", Data(head.utf8).map { String(format: "%02x", $0) }.joined(), "5"])
        #expect(result["closed"] as? Bool == true)
        #expect((result["seconds"] as? Double ?? 99) < 3)
        #expect(try calls() == before, "the plugin was handed a body cut short")
    }

    @Test(arguments: [
        "garbage\u{0}\u{FF}\r\n\r\n", "GET /api/h\u{FF}llo HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
        "POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
        "GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{0}b\r\n\r\n",
    ])
    func malformedInputGetsAnAnswerOrACloseAndTheHostLivesOn(input: String) throws {
        let bytes = Array(input.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let result = try wire(["send", "\(host.port)", bytes.map { String(format: "%02x", $0) }.joined(), "3"])
        let status = result["status"] as? String ?? ""
        #expect(status.isEmpty || status.hasPrefix("HTTP/1.1 4"), "\(result)")
        #expect(try HTTP.get("\(host.baseURL)/api/health").status == 200)
    }
}

/// The connection cap, on a host of its own.
@Suite struct ConnectionLimitTests {
    @Test func pastTheMaximumTheServerStopsAcceptingUntilAConnectionCloses() throws {
        let site = try HostProcess.makeSite(config: "[limits]\nmax_connections = 5\n") { _ in }
        let host = try HostProcess(site: site)
        let result = try run("python3", [Paths.fixtures.appending(path: "wire.py").path, "cap", "\(host.port)", "5"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.combined)")
        #expect(report["answered_while_full"] as? Bool == false, "\(report)")
        #expect(report["answered_after_release"] as? Bool == true, "\(report)")
        #expect(try HTTP.get("\(host.baseURL)/api/health").status == 200)
    }
}
