import Foundation
import Testing

/// HTTP/2 attacked with raw clients (`Fixtures/h2_abuse.py`, the Python `h2` package) against the
/// real host over TLS: streams that never read, connections that say nothing or ignore the PING,
/// PING floods and rapid reset. docs/SECURITY.md ("HTTP/2 under abuse") says what each bound is.
@Suite(.serialized)
struct HTTP2AbuseTests {
    func abuse(_ arguments: [String]) throws -> [String: Any] {
        let result = try run("python3", [Paths.fixtures.appending(path: "h2_abuse.py").path] + arguments)
        guard result.status == 0 else { throw FixtureError(message: "h2_abuse.py \(arguments.first ?? "") failed: \(result.combined)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    static func site(_ limits: String = "", plugins: Bool = false, prepare: (URL) throws -> Void = { _ in }) throws -> URL {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[rate_limit]\nenabled = false\n\n[limits]\n\(limits)\n") { directory in
            if plugins { try FixturePlugins.build(name: "fixture", into: directory) }
        }
        try prepare(site)
        return site
    }

    /// Item 1: 1,000 streams (10 connections × 100) on a 20 MB static file from one client whose
    /// window stays shut: each is reset within `send_timeout` and the worker grows by far less
    /// than the file times the streams (it held ~1.15 MB a stream, unbounded in time).
    @Test func streamsThatNeverReadAreResetAtTheSendTimeoutAndHoldLittleMemory() throws {
        let site = try Self.site("send_timeout = 3") { site in
            let directory = site.appending(path: "static")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(repeating: 0x61, count: 20_000_000).write(to: directory.appending(path: "big.bin"))
        }
        let host = try HostProcess(site: site)
        let before = try host.workerMemory()
        let result = try abuse(["stall", "\(host.port)", "/big.bin", "10", "100", "15"])
        let after = try host.workerMemory()
        #expect(result["reset"] as? Int == 1000, "\(result)")
        let resetAfter = try #require(result["reset_after_s"] as? Double)
        #expect(resetAfter >= 3 && resetAfter < 3 * 2, "a stream was reset \(resetAfter) s after its response head: \(result)")
        let growth = max(after.peak, after.rss) - before.rss
        #expect(growth < 100_000_000, "the worker grew by \(growth / 1_000_000) MB (\(before.rss / 1_000_000) → peak \(after.peak / 1_000_000) MB)")
        #expect(host.waitForOutput("reset an HTTP/2 stream from 127.0.0.1: the client took none of its response for 3.0 s ([limits] send_timeout)"),
                "\(host.output.suffix(2000))")
        // Per client, at most one such line per 10 s: not a thousand.
        #expect(host.output.components(separatedBy: "reset an HTTP/2 stream from").count - 1 <= 2, "\(host.output.suffix(3000))")
        // The file itself is still served whole to a client that reads.
        let fetched = try run("curl", ["-sS", "-k", "--http2", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "\(host.baseURL)/big.bin"])
        #expect(fetched.output == "200 20000000", "\(fetched.combined)")
    }

    /// Item 2: 4,096 HTTP/2 connections from one address that finish TLS and the preface and then
    /// say nothing: a client on another address is answered in under a second throughout, and each
    /// silent one is closed within `request_head_timeout`.
    @Test func idleHTTP2ConnectionsAreClosedAtTheHeadTimeoutAndLockNobodyOut() throws {
        let host = try HostProcess(site: try Self.site("request_head_timeout = 2"))
        let result = try abuse(["idle", "\(host.port)", "4096", "8"])
        #expect(result["attempted"] as? Int == 4096, "\(result)")
        #expect(result["still_open"] as? Int == 0, "\(result)")
        let longest = try #require(result["longest_open_s"] as? Double)
        #expect(longest < 2 + 1, "a silent connection stayed open \(longest) s: \(result)")
        #expect(result["failed"] as? Int == 0, "\(result)")
        let slowest = try #require(result["slowest_ms"] as? Double)
        #expect(slowest < 1000, "the normal client waited \(slowest) ms: \(result)")
    }

    /// Item 2: after `idle_timeout` the host sends GOAWAY and a PING; a client that never answers
    /// the PING gets the final GOAWAY (last stream 1) and the close `request_head_timeout` later,
    /// instead of being kept for ever.
    @Test func aClientThatIgnoresTheIdlePingIsClosed() throws {
        let host = try HostProcess(site: try Self.site("idle_timeout = 1\nrequest_head_timeout = 1"))
        let result = try abuse(["ignore-ping", "\(host.port)", "8"])
        #expect(result["status"] as? String == "200", "\(result)")
        let goaways = try #require(result["goaways"] as? [[String: Any]])
        #expect(goaways.first?["last_stream_id"] as? Int == 2_147_483_647, "\(result)")
        #expect(goaways.last?["last_stream_id"] as? Int == 1, "\(result)")
        #expect(goaways.allSatisfy { $0["error"] as? String == "NO_ERROR" }, "\(result)")
        let closed = try #require(result["closed_after_s"] as? Double, "the connection was still open 8 s after its answer: \(result)")
        #expect(closed < 1 + 1 + 1.5, "\(result)")
    }

    /// Item 3: a PING flood ends the connection with GOAWAY ENHANCE_YOUR_CALM naming the stream in
    /// flight, which is still answered before the close (Hummingbird closed at once and dropped it).
    @Test func aPingFloodEndsTheConnectionWithATruthfulGoAwayAndTheRequestInFlightIsAnswered() throws {
        let host = try HostProcess(site: try Self.site(plugins: true))
        let result = try abuse(["ping-flood", "\(host.port)", "/api/fixture/sleep?ms=1500"])
        let goaways = try #require(result["goaways"] as? [[String: Any]])
        #expect(goaways.count == 1, "\(result)")
        #expect(goaways.first?["error"] as? String == "ENHANCE_YOUR_CALM", "\(result)")
        #expect(goaways.first?["last_stream_id"] as? Int == 1, "\(result)")
        #expect((result["statuses"] as? [String: Int])?["1"] == 200, "\(result)")
        #expect(result["closed"] as? Bool == true, "\(result)")
        #expect(host.waitForOutput("ending an HTTP/2 connection from 127.0.0.1: too many PINGs; GOAWAY last_stream_id=1"), "\(host.output.suffix(2000))")
    }

    /// Item 3: rapid reset (HEADERS then RST_STREAM, stream after stream) ends with a GOAWAY that
    /// names the streams the host took (NIOHTTP2's own says 0), and no cancelled request reaches a
    /// plugin or the request log.
    @Test func rapidResetGetsATruthfulGoAwayAndNoCancelledRequestReachesAPlugin() throws {
        let host = try HostProcess(site: try Self.site(plugins: true))
        let result = try abuse(["rapid-reset", "\(host.port)", "/api/fixture/count", "POST", "0"])
        let first = try #require(result["first"] as? [String: Any])
        let goaway = try #require(first["goaway"] as? [String: Any], "\(result)")
        #expect(goaway["error"] as? String == "ENHANCE_YOUR_CALM", "\(result)")
        let last = try #require(goaway["last_stream_id"] as? Int)
        let sent = try #require(first["highest_sent"] as? Int)
        // The 201st cancellation trips the limit: at least 201 streams taken, none past those sent.
        #expect(last >= 401 && last <= sent, "\(result)")
        let calls = try run("curl", ["-sS", "-k", "\(host.baseURL)/api/fixture/count"]).output
        #expect(calls.hasPrefix("{\"calls\": 0,"), "cancelled requests reached the plugin: \(calls)")
        #expect(!host.output.contains("POST /api/fixture/count"), "\(host.output.suffix(2000))")
        #expect(host.waitForOutput("ending an HTTP/2 connection from 127.0.0.1: too many streams cancelled (rapid reset); GOAWAY last_stream_id=\(last)"),
                "\(host.output.suffix(2000))")
    }

    /// Item 5: 20 s of rapid reset, reconnecting after each GOAWAY, writes little to the log (it
    /// wrote 31 MB, enough to push every older file out of the 5 × 10 MB rotation), so the files
    /// written before it stay where they are.
    @Test func twentySecondsOfRapidResetLeaveOlderLogFilesInPlace() throws {
        let site = try Self.site(plugins: true)
        let logs = site.appending(path: "logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        for index in 1...3 {
            try "older log \(index)\n".write(to: logs.appending(path: "server.log.\(index)"), atomically: true, encoding: .utf8)
        }
        let host = try HostProcess(site: site)
        let log = logs.appending(path: "server.log")
        let before = try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0
        let result = try abuse(["rapid-reset", "\(host.port)", "/api/fixture/count", "GET", "20"])
        #expect((result["connections"] as? Int ?? 0) >= 2, "\(result)")
        #expect(result["without_goaway"] as? Int == 0, "\(result)")
        Thread.sleep(forTimeInterval: 0.5)
        let after = try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0
        #expect(after - before < 1_000_000, "20 s of rapid reset wrote \(after - before) bytes of log: \(result)")
        for index in 1...3 {
            let text = try? String(contentsOf: logs.appending(path: "server.log.\(index)"), encoding: .utf8)
            #expect(text == "older log \(index)\n", "server.log.\(index) is now: \(text?.prefix(200) ?? "gone")")
        }
    }

    /// Rapid reset on a small static file, which the event-loop fast path answers from the
    /// cache: no cancelled stream is answered or logged (it wrote 1.2 MB of request and response
    /// lines in 5 s before the fast path waited for the read that carries the reset).
    @Test func rapidResetOnACachedStaticFileWritesNoRequestLines() throws {
        let site = try Self.site { site in
            let directory = site.appending(path: "static")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "body { margin: 0 }\n".write(to: directory.appending(path: "site.css"), atomically: true, encoding: .utf8)
        }
        let config = site.appending(path: "host.toml")
        try (String(contentsOf: config, encoding: .utf8) + "\n[logging]\nfile = \"logs/server.log\"\n").write(to: config, atomically: true, encoding: .utf8)
        let host = try HostProcess(site: site)
        // Twice, so that the cache holds the file (the first request fills it).
        for _ in 0..<2 { #expect(try run("curl", ["-sS", "-k", "--http2", "\(host.baseURL)/site.css"]).output == "body { margin: 0 }\n") }
        let log = site.appending(path: "logs/server.log")
        let before = try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0
        let result = try abuse(["rapid-reset", "\(host.port)", "/site.css", "GET", "5"])
        #expect((result["streams"] as? Int ?? 0) > 1000, "\(result)")
        Thread.sleep(forTimeInterval: 0.5)
        let after = try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0
        #expect(after - before < 20_000, "5 s of rapid reset on a static file wrote \(after - before) bytes of log: \(result)")
        let answers = try String(contentsOf: log, encoding: .utf8).components(separatedBy: "response GET /site.css ").count - 1
        #expect(answers == 2, "response lines for /site.css: \(answers), 2 expected (the two answered)")
    }
}
