import Foundation
import Testing

/// Small static files the cache holds are answered on the connection's event loop
/// (`StaticFastPath`): a client that pipelines, sends a body with its GET, or asks to close must
/// get exactly what the full path gives it, in order, with every header and log line.
@Suite struct StaticFastPathTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeStaticSite(["page.txt": Data("cached page\n".utf8)])
        host = try HostProcess(site: site)
        // The first GET goes the full way and fills the cache; the next ones can take the fast path.
        for _ in 0..<2 { #expect(try HTTP.get("\(host.baseURL)/page.txt").text == "cached page\n") }
    }

    private func exchange(_ requests: String) throws -> String { try RawHTTP.exchange(port: host.port, requests) }

    /// The responses on the wire, in order; every byte must belong to one.
    private func responses(_ wire: String) -> [(status: String, head: String, body: String)] { RawHTTP.expectedResponses(wire) }

    private func get(_ path: String, _ extra: String = "") -> String { RawHTTP.get(path, extra) }

    @Test func pipelinedRequestsAreAnsweredInTheirOrder() throws {
        let wire = try exchange(get("/api/health") + get("/page.txt") + get("/api/health") + get("/page.txt")
            + get("/api/nothing") + get("/page.txt") + get("/page.txt", "Connection: close\r\n"))
        let answers = responses(wire)
        #expect(answers.map(\.status) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK",
                                          "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
        #expect(answers.map { $0.body == "cached page\n" } == [false, true, false, true, false, true, true])
        for answer in answers {
            #expect(answer.head.contains("X-Frame-Options: DENY") && answer.head.contains("Date: "), "\(answer.head)")
        }
        #expect(answers[1].head.contains("Cache-Control: "), "the configured Cache-Control: \(answers[1].head)")
    }

    /// The fast path's header lists are made once a second per file (`FinishedStaticFields`):
    /// its Date must still follow the clock, a changed file must bring its own fields, and every
    /// field must appear once.
    @Test func theSharedFieldsFollowTheClockAndTheFile() throws {
        // The first of two answers: a request that asks to close takes the full path.
        func head(_ extra: String = "") throws -> String {
            let answers = responses(try exchange(get("/page.txt", extra) + get("/page.txt", "Connection: close\r\n")))
            try #require(answers.count == 2)
            return answers[0].head + "\r\n" + answers[0].body
        }
        func values(_ name: String, _ text: String) -> [Substring] {
            text.split(separator: "\r\n").filter { $0.lowercased().hasPrefix(name.lowercased() + ": ") }
        }
        let first = try head()
        Thread.sleep(forTimeInterval: 1.1)
        let second = try head()
        #expect(values("Date", first).count == 1 && values("Date", second).count == 1)
        #expect(values("Date", first) != values("Date", second), "the Date of the next second")
        for name in ["X-Frame-Options", "Content-Security-Policy", "ETag", "Cache-Control", "Content-Length"] {
            #expect(values(name, second).count == 1, "\(name) once: \(second)")
        }
        // A request with an Origin (CORS is off here) gets the same fields.
        #expect(values("X-Frame-Options", try head("Origin: https://example.com\r\n")).count == 1)
        // A changed file: the cache sees it within a second, and its answer brings its own fields.
        try Data("changed page, longer\n".utf8).write(to: host.site.appending(path: "static/page.txt"))
        Thread.sleep(forTimeInterval: 1.2)
        _ = try head()
        let changed = try head()
        #expect(changed.hasSuffix("changed page, longer\n"), "\(changed)")
        #expect(values("Content-Length", changed) == ["Content-Length: 21"])
        #expect(values("ETag", changed).count == 1 && values("ETag", changed) != values("ETag", second))
    }

    /// An HTTP/1.0 client that did not ask for keep-alive expects the connection to close
    /// after its answer (RFC 9112 §9.3), and may wait for that close; one that asked keeps it.
    /// `exchange` returns once the server closes (and fails after 10 s without).
    @Test func anHTTP10RequestWithoutKeepAliveIsAnsweredAndTheConnectionCloses() throws {
        for path in ["/page.txt", "/api/health"] {
            let started = Date()
            let wire = try exchange("GET \(path) HTTP/1.0\r\n\r\n")
            let answers = responses(wire)
            #expect(answers.map(\.status) == ["HTTP/1.1 200 OK"], "\(wire)")
            #expect(answers.first?.head.lowercased().contains("\r\nconnection: close") == true, "\(wire)")
            #expect(Date().timeIntervalSince(started) < 5)
        }
        let kept = responses(try exchange("GET /page.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get("/page.txt", "Connection: close\r\n")))
        #expect(kept.map(\.body) == ["cached page\n", "cached page\n"])
    }

    @Test func aBodySentWithTheGetIsReadAndTheNextRequestIsServed() throws {
        let wire = try exchange("GET /page.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get("/page.txt", "Connection: close\r\n"))
        let answers = responses(wire)
        #expect(answers.map(\.status) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
        #expect(answers.allSatisfy { $0.body == "cached page\n" })
    }

    @Test func connectionCloseEndsTheConnectionAfterTheAnswer() throws {
        // `exchange` returns only once the server has closed the connection.
        let wire = try exchange(get("/page.txt") + get("/page.txt", "Connection: close\r\n"))
        #expect(responses(wire).map(\.body) == ["cached page\n", "cached page\n"])
    }

    /// Answered at once: one line each, the response line. The last request, with `Connection:
    /// close`, goes to the request loop, which writes its request line as it arrives.
    @Test func everyAnswerHasItsResponseLine() throws {
        let marker = "/page.txt?fast=\(UUID().uuidString.prefix(8))"
        let count = 20
        let wire = try exchange(String(repeating: get(marker), count: count - 1) + get(marker, "Connection: close\r\n"))
        #expect(responses(wire).count == count)
        let logged = { () -> (requests: Int, responses: Int) in
            let text = (try? String(contentsOf: host.site.appending(path: "logs/server.log"), encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            return (lines.filter { $0.contains("request GET \(marker) from 127.0.0.1") }.count,
                    lines.filter { $0.contains("response GET \(marker) client=127.0.0.1 duration_ms=") && $0.hasSuffix("status=200") }.count)
        }
        let deadline = Date().addingTimeInterval(5)
        while logged() != (1, count), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(logged() == (1, count))
    }
}
