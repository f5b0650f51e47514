import Foundation
import Testing

/// What a client gets when the host stops under it (issue #18, items 8 to 10): every HTTP/2
/// stream the host accepted is answered; `shutdown_grace` bounds the stop even while a plugin
/// thread is blocked; and the request log says what each client really got.
@Suite(.serialized)
struct ShutdownDeliveryTests {
    /// An HTTPS host (HTTP/2 by ALPN) with the C fixture, whose `GET /api/fixture/sleep?ms=N`
    /// blocks a pool thread for N ms.
    static func site(grace: Double = 10, tls: Bool = true, logFormat: String = "text") throws -> URL {
        try HostProcess.makeSite(config: """
            [tls]
            enabled = \(tls)

            [server]
            shutdown_grace = \(grace)

            [rate_limit]
            enabled = false

            [logging]
            format = "\(logFormat)"
            """) { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
    }

    /// Waits until the host has logged `count` lines containing `marker`, for up to `seconds`.
    static func waitForLines(_ host: HostProcess, _ marker: String, count: Int, seconds: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if host.output.components(separatedBy: marker).count - 1 >= count { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// Item 8: `h2load -c20 -m1` on a 3-second route, SIGTERM once all 20 requests are in the
    /// plugin. Before the fix the second GOAWAY promised every stream an answer and the connection
    /// closed as the answer was written: 0 of 20. Under the supervisor (SIGTERM to `serve`, which
    /// drains its worker) and without it.
    @Test(arguments: [false, true])
    func sigtermAnswersEveryAcceptedHTTP2Stream(supervised: Bool) throws {
        let host = try HostProcess(site: Self.site(), arguments: supervised ? [] : ["--no-supervisor"])
        let load = try RunningCommand("timeout", ["30", "h2load", "-c20", "-m1", "-n20", "\(host.baseURL)/api/fixture/sleep?ms=3000"])
        let arrived = Self.waitForLines(host, "request GET /api/fixture/sleep?ms=3000 from", count: 20)
        let status = host.stop()
        let result = load.wait()
        try #require(arrived, "the 20 requests did not all reach the host: \(host.output)")
        #expect(result.output.contains("20 succeeded"), "h2load: \(result.output)")
        #expect(result.output.contains("status codes: 20 2xx"), "h2load: \(result.output)")
        #expect(status == 0)
        #expect(host.output.components(separatedBy: "response GET /api/fixture/sleep?ms=3000 ").count - 1 == 20)
    }

    /// Item 9: `shutdown_grace = 2`, three 6-second blocking handlers and one inline handler that
    /// never answers. When the grace runs out each client gets 503 with `Connection: close`, the
    /// log says `aborted=shutdown_grace`, and the process exits within the grace plus a margin
    /// although the plugin threads are still blocked (before the fix it waited for the handlers,
    /// then closed without an answer).
    @Test(arguments: [false, true])
    func shutdownGraceEndsRequestsStillInAPlugin(supervised: Bool) throws {
        let host = try HostProcess(site: Self.site(grace: 2, tls: false), arguments: supervised ? [] : ["--no-supervisor"])
        let urls = Array(repeating: "\(host.baseURL)/api/fixture/sleep?ms=6000", count: 3) + ["\(host.baseURL)/api/fixture/never"]
        let clients = try urls.map { url in try RunningCommand("curl", ["-sS", "-i", "--max-time", "20", url]) }
        let arrived = Self.waitForLines(host, "request GET /api/fixture/sleep?ms=6000 from", count: 3)
            && Self.waitForLines(host, "request GET /api/fixture/never from", count: 1)
        let stopping = Date()
        let status = host.stop()
        let stoppedAfter = Date().timeIntervalSince(stopping)
        let answers = clients.map { $0.wait().output }
        try #require(arrived, "the 4 requests did not all reach the host: \(host.output)")
        #expect(status == 0)
        #expect(stoppedAfter < 3.5, "the host took \(stoppedAfter) s to stop with shutdown_grace = 2")
        for answer in answers {
            #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close"), "\(answer)")
            #expect(answer.contains("did not finish within 2.0 seconds ([server] shutdown_grace)"), "\(answer)")
        }
        let lines = host.output.split(separator: "\n").filter { $0.contains("response GET /api/fixture/sleep?ms=6000 ") || $0.contains("response GET /api/fixture/never ") }
        #expect(lines.count == 4, "\(host.output)")
        #expect(lines.allSatisfy { $0.contains("aborted=shutdown_grace") && $0.hasSuffix("status=503") }, "\(lines)")
        #expect(host.output.contains("shutdown_grace of 2.0 s ran out: 4 request(s) still waiting for a plugin were answered 503"))
        #expect(host.output.contains("not shutting down plugin 'fixture': 3 of its call(s) still running after shutdown_grace"))
        #expect(!host.output.contains("fixture shut down cleanly"), "the hook must not run beside a running handler")
    }

    /// Item 10: the response line says what the client got. A client that gives up before the
    /// answer (HTTP/1.1 and HTTP/2) is logged `status=aborted` with `aborted=connection_closed`
    /// (before the fix: `status=200`); an answered request keeps `status=200` and no `aborted`.
    /// Both log formats.
    @Test(arguments: ["text", "json"])
    func theResponseLineSaysWhatTheClientGot(format: String) throws {
        let host = try HostProcess(site: Self.site(logFormat: format), arguments: ["--no-supervisor"])
        // The fixture reads only `ms=N`: the durations tell the two protocols apart.
        let protocols = [(flag: "--http1.1", slow: 2000, fast: 10), (flag: "--http2", slow: 2001, fast: 11)]
        for http in protocols {
            let gaveUp = try run("curl", ["-sS", "-k", http.flag, "--max-time", "1", "\(host.baseURL)/api/fixture/sleep?ms=\(http.slow)"])
            #expect(gaveUp.status == 28, "curl should time out: \(gaveUp.combined)")
            let answered = try run("curl", ["-sS", "-k", http.flag, "-o", "/dev/null", "-w", "%{http_code}", "\(host.baseURL)/api/fixture/sleep?ms=\(http.fast)"])
            #expect(answered.output == "200")
        }
        // The given-up requests are logged once their handlers answer, after 2 seconds.
        #expect(Self.waitForLines(host, "response GET /api/fixture/sleep?ms=200", count: 2))
        host.stop()
        let lines = host.output.split(separator: "\n").map(String.init)
        for http in protocols {
            let gaveUp = lines.filter { $0.contains("response GET /api/fixture/sleep?ms=\(http.slow)") }
            let answered = lines.filter { $0.contains("response GET /api/fixture/sleep?ms=\(http.fast)") }
            #expect(gaveUp.count == 1 && answered.count == 1, "\(http.flag): \(lines)")
            if format == "json" {
                #expect(gaveUp.allSatisfy { $0.contains(#""aborted":"connection_closed""#) && $0.contains(#""status":"aborted""#) }, "\(gaveUp)")
                #expect(answered.allSatisfy { $0.contains(#""status":"200""#) && !$0.contains("aborted") }, "\(answered)")
            } else {
                #expect(gaveUp.allSatisfy { $0.contains(" aborted=connection_closed client=127.0.0.1 duration_ms=") && $0.hasSuffix(" status=aborted") }, "\(gaveUp)")
                #expect(answered.allSatisfy { $0.hasSuffix(" status=200") && !$0.contains("aborted") }, "\(answered)")
            }
        }
    }
}
