import Foundation
import Testing

/// What a client gets when the host stops under it (issue #18, items 8 to 10): every HTTP/2
/// stream the host accepted is answered; `shutdown_grace` bounds the stop even while a plugin
/// thread is blocked; and the request log says what each client really got.
@Suite(.serialized)
struct ShutdownDeliveryTests {
    /// An HTTPS host (HTTP/2 by ALPN) with the C fixture, whose `GET /api/fixture/sleep?ms=N`
    /// blocks a pool thread for N ms.
    static func site(grace: Double = 10, tls: Bool = true) throws -> URL {
        try HostProcess.makeSite(config: """
            [tls]
            enabled = \(tls)

            [server]
            shutdown_grace = \(grace)

            [rate_limit]
            enabled = false
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
}
