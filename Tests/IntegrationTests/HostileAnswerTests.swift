import Foundation
import Testing

/// A plugin written to break the host (`Fixtures/hostile_answers.c`): it must not be able to put
/// bytes on the wire the host did not frame, nor lines in the log the host did not write.
@Suite struct HostileAnswerTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [logging]
            file = "logs/server.log"
            """) { plugins in
            try FixturePlugins.build("hostile_answers.c", name: "hostile", into: plugins)
        }
        host = try HostProcess(site: site)
    }

    /// Sends `first`, then on the same keep-alive connection `GET /api/health` (closing), and
    /// returns every byte the server wrote, as Latin-1 text.
    private func exchange(_ first: String) throws -> String {
        try RawHTTP.exchange(port: host.port, "\(first)\r\nHost: x\r\n\r\nGET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    }

    @Test(arguments: [
        ("GET /api/hostile/status/204 HTTP/1.1", "HTTP/1.1 204 No Content"),
        ("GET /api/hostile/status/304 HTTP/1.1", "HTTP/1.1 304 Not Modified"),
        ("GET /api/hostile/split HTTP/1.1", "HTTP/1.1 204 No Content"),
        ("GET /api/hostile/status/100 HTTP/1.1", "HTTP/1.1 500 Internal Server Error"),
        ("GET /api/hostile/status/101 HTTP/1.1", "HTTP/1.1 500 Internal Server Error"),
        ("GET /api/hostile/status/200?cl=3 HTTP/1.1", "HTTP/1.1 200 OK"),
        ("GET /api/hostile/status/200?cl=40 HTTP/1.1", "HTTP/1.1 200 OK"),
        ("GET /api/hostile/status/200?te HTTP/1.1", "HTTP/1.1 200 OK"),
        ("HEAD /api/hostile/status/200 HTTP/1.1", "HTTP/1.1 200 OK"),
    ])
    func aPluginCannotFrameItsOwnAnswer(request: String, expected: String) throws {
        let wire = try exchange(request)
        let answers = RawHTTP.responses(wire, firstIsHead: request.hasPrefix("HEAD"))
        // Exactly two responses: the plugin's (as the host framed it) and the health check's.
        #expect(answers.map(\.status) == [expected, "HTTP/1.1 200 OK"], "\(wire)")
        guard answers.count == 2 else { return }
        #expect(answers[1].body.hasPrefix("{\"message\":\"PlugHost is running."), "the second answer must be the host's own: \(wire)")
        #expect(!wire.contains("X-Forged"), "\(wire)")
        let firstHead = answers[0].head.lowercased()
        #expect(!firstHead.contains("transfer-encoding"), "\(firstHead)")
        if expected.contains(" 200 ") {
            // The host's own length, for the 11 bytes "FORGED-BODY", whatever the plugin claimed.
            #expect(firstHead.contains("content-length: 11"), "\(firstHead)")
            #expect(answers[0].body == (request.hasPrefix("HEAD") ? "" : "FORGED-BODY"))
        } else {
            #expect(!answers[0].body.contains("FORGED"), "\(wire)")
        }
    }

    @Test func framingViolationsAreLoggedNamingThePlugin() throws {
        _ = try exchange("GET /api/hostile/status/101 HTTP/1.1")
        _ = try exchange("GET /api/hostile/status/204 HTTP/1.1")
        _ = try exchange("GET /api/hostile/status/200?cl=3 HTTP/1.1")
        #expect(host.waitForOutput("plugin 'hostile' answered GET /api/hostile/status/{code} with an interim (1xx) status, which cannot be a final answer (101); sent 500 instead"))
        #expect(host.waitForOutput("plugin 'hostile' answered GET /api/hostile/status/{code} with 204 and a body of 11 bytes"))
        #expect(host.waitForOutput("plugin 'hostile' set content-length in its answer to GET /api/hostile/status/{code}"))
    }

    /// Every line of the console and of the log file starts with the host's timestamp and level,
    /// whatever the plugin (its log(), version and description) and the client (a logged path
    /// parameter with %0d%0a and an ANSI escape) put into the text.
    @Test func nothingFromOutsideForgesALogLine() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/hostile/echo/x%0d%0a2026-01-01T00:00:00Z%20%5Berror%5D%20forged-by-client%1b%5B2J")
        #expect(answer.status == 200)
        #expect(host.waitForOutput("client said: x\\r\\n2026-01-01T00:00:00Z [error] forged-by-client\\u{1B}[2J"))
        let file = host.site.appending(path: "logs/server.log")
        for (source, text) in [("console", host.output), ("logs/server.log", try String(contentsOf: file, encoding: .utf8))] {
            #expect(text.contains("forged-by-log") && text.contains("forged-by-version"), "\(source) must show the plugin's text, escaped")
            for line in text.split(separator: "\n") {
                #expect(!line.hasPrefix("2026-01-01"), "\(source): forged line \(line)")
                #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) "#, options: .regularExpression) != nil,
                        "\(source): a line that is not the host's: \(line.debugDescription)")
                #expect(!line.contains("\u{1B}") && !line.contains("\r"), "\(source): a control character in \(line.debugDescription)")
            }
        }
    }
}

/// Plugins that fail to load are named in the log by what they sent, escaped and cut short.
@Suite struct HostileRegistrationTests {
    /// A host with the Swift example and the hostile plugin built with `define`.
    private func serve(hostile define: String) throws -> HostProcess {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build("hostile_answers.c", name: "hostile", defines: [define], into: plugins)
        }
        return try HostProcess(site: site)
    }

    @Test func setErrorTextCannotForgeALine() throws {
        let host = try serve(hostile: "HOSTILE_FAIL_REGISTRATION")
        #expect(host.waitForOutput("no database\\r\\n2026-01-01T00:00:00Z [error] forged-by-set-error \\u{1B}[2J"))
        #expect(!host.output.split(separator: "\n").contains { $0.hasPrefix("2026-01-01") })
        #expect(!host.output.contains("\u{1B}"))
    }

    @Test func aHugeRoutePathIsRefusedInOneShortLine() throws {
        let host = try serve(hostile: "HOSTILE_HUGE_PATH")
        #expect(host.waitForOutput("(1048576 bytes in all): invalid path template: it is longer than 1024 bytes"))
        let longest = host.output.split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest < 4096, "the longest log line has \(longest) bytes")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }
}
