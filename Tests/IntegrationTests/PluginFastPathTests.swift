import Foundation
import Testing

/// Plugin routes without parameters are answered on the connection's event loop
/// (`EventLoopFastPath`), handing the rest of a request to a task when a plugin answers later or
/// blocks. A client that pipelines across both paths, sends a body, or leaves while its answer
/// is being made must get exactly what the request loop gives it, in order, with its log lines.
@Suite struct PluginFastPathTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [logging]
            file = "logs/server.log"
            """) { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        host = try HostProcess(site: site)
    }

    private func exchange(_ requests: String) throws -> String { try RawHTTP.exchange(port: host.port, requests) }

    /// The responses on the wire, in order; every byte must belong to one.
    private func responses(_ wire: String) -> [(status: String, head: String, body: String)] { RawHTTP.expectedResponses(wire) }

    private func get(_ path: String, _ extra: String = "") -> String { RawHTTP.get(path, extra) }

    /// Answered inline (`/config`), later from another thread (`/async`), on the blocking pool
    /// (`/sleep`), by the request loop (`/items/{id}`, a parameter; a body), and a 404: each
    /// answer is the one its request gets alone, in the order of the requests.
    @Test func pipelinedRequestsAcrossBothPathsAreAnsweredInTheirOrder() throws {
        let paths = ["/api/fixture/async", "/api/fixture/config", "/api/fixture/items/7", "/api/fixture/sleep?ms=200",
                     "/api/fixture/config", "/api/fixture/nothing", "/api/fixture/async"]
        let alone = try paths.map { try HTTP.get("\(host.baseURL)\($0)") }
        let requests = paths.dropLast().map { get($0) }.joined()
            + "POST /api/fixture/count HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" + get(paths.last!, "Connection: close\r\n")
        let answers = responses(try exchange(requests))
        #expect(answers.count == paths.count + 1, "\(answers.map(\.status))")
        guard answers.count == paths.count + 1 else { return }
        var expected = alone.map { ($0.status, $0.text) }
        expected.insert((200, answers[paths.count - 1].body), at: paths.count - 1)
        for (answer, (status, body)) in zip(answers, expected) {
            #expect(answer.status.hasPrefix("HTTP/1.1 \(status) "), "\(answer.status), expected \(status)")
            #expect(answer.body == body, "\(answer.status): \(answer.body), expected \(body)")
            #expect(answer.head.contains("X-Frame-Options: DENY") && answer.head.contains("Date: "), "\(answer.head)")
        }
        #expect(answers[paths.count - 1].body.contains("\"calls\""), "the POST with its body: \(answers[paths.count - 1].body)")
        #expect(answers[1].head.contains("RateLimit: "), "the gate's headers: \(answers[1].head)")
    }

    /// The fast path writes the security headers and the `Date` as bytes after an answer's own
    /// fields (`HostFieldBytes`): a plugin's own fields of those names are replaced, not sent
    /// twice, and the host's lines are the request loop's, in its order, at the end of the head.
    @Test func theHostsFieldsReplaceAPluginsAndEndTheHeadAsTheRequestLoopWritesThem() throws {
        // /weaken answers on the fast path and sets X-Frame-Options, Content-Security-Policy and
        // RateLimit of its own; /items/{id} has a parameter, so the request loop answers it.
        let wire = try exchange(get("/api/fixture/weaken") + get("/api/fixture/items/7") + get("/api/fixture/items/8", "Connection: close\r\n"))
        let answers = responses(wire)
        #expect(answers.count == 3, "\(answers.map(\.status))")
        guard answers.count == 3 else { return }
        let hostNames = ["strict-transport-security", "x-content-type-options", "x-frame-options", "content-security-policy",
                         "x-xss-protection", "referrer-policy", "date"]
        func lines(_ head: String) -> [String] { Array(head.components(separatedBy: "\r\n").dropFirst()) }
        func name(_ line: String) -> String { String(line.prefix { $0 != ":" }).lowercased() }
        let fast = lines(answers[0].head), loop = lines(answers[1].head)
        #expect(fast.suffix(hostNames.count).map(name) == hostNames, "the host's fields, once each, last: \(fast)")
        #expect(fast.filter { hostNames.contains(name($0)) }.count == hostNames.count, "no field of the host's names twice: \(fast)")
        #expect(!answers[0].head.contains("ALLOWALL") && !answers[0].head.contains("default-src *"), "the plugin's values replaced: \(fast)")
        #expect(fast.suffix(hostNames.count).dropLast() == loop.suffix(hostNames.count).dropLast(), "the request loop's lines:\n\(fast)\n\(loop)")
        #expect(fast.last?.hasPrefix("Date: ") == true && loop.last?.hasPrefix("Date: ") == true)
        #expect(answers[0].status == "HTTP/1.1 200 OK" && answers[0].body == "{}")
        // Before them the gate's rate-limit fields (written as bytes too), the plugin's own RateLimit replaced.
        let limitLines = fast.dropLast(hostNames.count).suffix(2)
        #expect(limitLines.map(name) == ["ratelimit-policy", "ratelimit"], "\(fast)")
        #expect(limitLines.last?.hasPrefix("RateLimit: \"default\";r=") == true && !answers[0].head.contains("forged"), "\(fast)")
        #expect(loop.dropLast(hostNames.count).suffix(2).map(name) == ["ratelimit-policy", "ratelimit"], "\(loop)")
    }

    /// A GET to a fast route that carries a body after all goes to the request loop, which reads
    /// the body; the next request on the connection is not swallowed.
    @Test func aBodyOnAFastRouteIsReadAndTheNextRequestIsServed() throws {
        let wire = try exchange("GET /api/fixture/config HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "GET /api/fixture/config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + get("/api/fixture/config", "Connection: close\r\n"))
        let answers = responses(wire)
        #expect(answers.map(\.status) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
    }

    /// Each answer, inline or late, has its response line with the status the client got; a late
    /// one also has its request line, written when it had to wait (the trace of a request in
    /// progress), an inline one not (its response line carries the client). The last request, with
    /// `Connection: close`, goes to the request loop, which writes its request line too.
    @Test func everyAnswerHasItsRequestAndResponseLine() throws {
        let tag = UUID().uuidString.prefix(8)
        let inline = "/api/fixture/config?fast=\(tag)", late = "/api/fixture/async?fast=\(tag)"
        let count = 10
        let wire = try exchange(String(repeating: get(inline) + get(late), count: count) + get(inline, "Connection: close\r\n"))
        #expect(responses(wire).count == 2 * count + 1)
        let logged = { (target: String) -> (requests: Int, responses: Int) in
            let text = (try? String(contentsOf: host.site.appending(path: "logs/server.log"), encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            return (lines.filter { $0.contains("request GET \(target) from 127.0.0.1") }.count,
                    lines.filter { $0.contains("response GET \(target) client=127.0.0.1 duration_ms=") && $0.hasSuffix("status=200") }.count)
        }
        let deadline = Date().addingTimeInterval(5)
        while (logged(inline) != (1, count + 1) || logged(late) != (count, count)), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(logged(inline) == (1, count + 1))
        #expect(logged(late) == (count, count))
    }

    /// A client that sends a request a plugin answers late, and the next one behind it, then
    /// leaves before the answer: the host logs the answer as not delivered and goes on serving.
    @Test func aClientThatLeavesWhileItsAnswerIsMadeLosesNothingElse() throws {
        let tag = UUID().uuidString.prefix(8)
        let script = """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            s.sendall(sys.argv[2].encode("latin-1"))
            s.close()
            """
        let requests = get("/api/fixture/sleep?ms=300&gone=\(tag)") + get("/api/fixture/config?behind=\(tag)")
        _ = try run("python3", ["-c", script, "\(host.port)", requests])
        let deadline = Date().addingTimeInterval(5)
        let log = { (try? String(contentsOf: host.site.appending(path: "logs/server.log"), encoding: .utf8)) ?? "" }
        while !log().contains("response GET /api/fixture/sleep?ms=300&gone=\(tag)"), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let line = log().split(separator: "\n").first { $0.contains("response GET /api/fixture/sleep?ms=300&gone=\(tag)") }
        #expect(line?.hasSuffix("status=aborted") == true || line?.contains("aborted=") == true, "\(line ?? "no response line")")
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 200)
    }

    /// HTTP/2: streams the fast path answers (inline, late, on the blocking pool) and streams it
    /// passes on to the request loop it starts for them alone (a parameter, a body) share
    /// connections; every one is answered, with its own answer.
    @Test func http2StreamsOfBothPathsOnOneConnectionAreAllAnswered() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[rate_limit]\nenabled = false\n") { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let tls = try HostProcess(site: site)
        let paths = ["/api/fixture/config", "/api/fixture/items/9", "/api/fixture/async", "/api/fixture/sleep?ms=5", "/api/fixture/nothing"]
        let load = try run("timeout", ["60", "h2load", "-c2", "-m20", "-n500"] + paths.map { "\(tls.baseURL)\($0)" })
        // h2load counts the 404s of the missing path as failed: a fifth of the requests.
        #expect(load.output.contains("500 total, 500 started, 500 done, 400 succeeded, 100 failed, 0 errored, 0 timeout"), "\(load.combined)")
        #expect(load.output.contains("status codes: 400 2xx, 0 3xx, 100 4xx, 0 5xx"), "\(load.combined)")
        let parameter = try run("curl", ["-sS", "-k", "--http2", "\(tls.baseURL)/api/fixture/items/9", "\(tls.baseURL)/api/fixture/config",
                                         "\(tls.baseURL)/api/fixture/items/10"]).output
        #expect(parameter.contains("\"id\": \"9\"") && parameter.contains("\"id\": \"10\""), "\(parameter)")
        let post = try run("curl", ["-sS", "-k", "--http2", "-X", "POST", "--data", "{}", "\(tls.baseURL)/api/fixture/count"]).output
        #expect(post.contains("\"calls\""), "\(post)")
    }
}
