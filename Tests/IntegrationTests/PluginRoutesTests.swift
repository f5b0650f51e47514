import Foundation
import Testing

/// Plugin routes over real HTTP, against the real binary with real `.so` files.
@Suite(.serialized)
struct PluginRoutesTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [server]
            handler_timeout = 1.5
            blocking_threads = 16

            [plugins.example]
            greeting = "Grüß Gott"

            [plugins.fixture]
            token = "t-123"
            nested = { level = 2 }
            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.installCExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        host = try HostProcess(site: site)
    }

    @Test func healthAnswersMessageAndISO8601Timestamp() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/health")
        #expect(answer.status == 200)
        let json = try answer.json()
        #expect(json["message"] as? String == "PlugHost is running.")
        let timestamp = try #require(json["timestamp"] as? String)
        #expect(ISO8601DateFormatter().date(from: timestamp) != nil)
    }

    @Test func swiftPluginRouteUsesGreetingFromItsConfig() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/hello")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(try answer.json()["message"] as? String == "Grüß Gott")
    }

    @Test func swiftPluginReceivesDecodedPathParameter() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/hello/J%C3%B6rg")
        #expect(try answer.json()["message"] as? String == "Grüß Gott, Jörg!")
    }

    @Test func cPluginRouteIsServedWithoutRebuildingTheHost() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/c/hello")
        #expect(answer.status == 200)
        #expect(try answer.json()["message"] as? String == "Hello from C")
    }

    @Test func cPluginSeesPathParameterAndTemplate() throws {
        let json = try HTTP.get("\(host.baseURL)/api/fixture/items/42").json()
        #expect(json["id"] as? String == "42")
        #expect(json["route"] as? String == "/fixture/items/{id}")
    }

    @Test func echoRoundTripsOneMebibyteOfBinaryBody() throws {
        var generator = SystemRandomNumberGenerator()
        let body = Data((0..<1_048_576).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let answer = try HTTP.request("POST", "\(host.baseURL)/api/echo", headers: ["Content-Type": "application/x-test-bytes"], body: body)
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/x-test-bytes")
        #expect(answer.body == body)
    }

    @Test func bodyOverTheLimitIsRefusedWith413() throws {
        let answer = try HTTP.request("POST", "\(host.baseURL)/api/echo", body: Data(count: 1_048_577))
        #expect(answer.status == 413)
        #expect((try answer.json()["detail"] as? String)?.contains("max_body_size") == true)
        #expect(answer.headers["ratelimit"] != nil, "the unit it spent is announced")
    }

    @Test func pluginReceivesItsConfigTableAsJSON() throws {
        let json = try HTTP.get("\(host.baseURL)/api/fixture/config").json()
        #expect(json["token"] as? String == "t-123")
        #expect((json["nested"] as? [String: Any])?["level"] as? Int == 2)
    }

    @Test func answerFromAnotherThreadAfterTheHandlerReturned() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/async")
        #expect(answer.status == 200)
        #expect(try answer.json()["answered"] as? String == "from another thread")
    }

    /// The handler waits for its own thread to answer: the answer comes from another thread while
    /// the inline call still runs (the call is not in the call table yet, only in its thread's slot).
    @Test func answerFromAnotherThreadWhileTheHandlerRuns() throws {
        for _ in 0..<20 {
            let answer = try HTTP.get("\(host.baseURL)/api/fixture/during")
            #expect(answer.status == 200)
            #expect(try answer.json()["answered"] as? String == "from another thread while the handler ran")
        }
        #expect(!host.output.contains("unknown call handle"))
    }

    @Test func handlerThatNeverAnswersGets504AfterTheTimeout() throws {
        let started = Date()
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/never")
        #expect(answer.status == 504)
        #expect(Date().timeIntervalSince(started) >= 1.4)
        #expect(try answer.json()["detail"] as? String == "The plugin 'fixture' did not answer within 1.5 seconds.")
        #expect(host.waitForOutput("did not answer GET /api/fixture/never"))
        // The host is still serving.
        #expect(try HTTP.get("\(host.baseURL)/api/health").status == 200)
    }

    @Test func secondAnswerIsIgnoredAndLogged() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/twice")
        #expect(answer.status == 200)
        #expect(answer.text == #"{"answer": 1}"#)
        #expect(host.waitForOutput("second respond returned 3"))
        #expect(host.waitForOutput("a second time; the second answer was ignored"))
    }

    /// Answered inline, then again from another thread once the call has left the host's books:
    /// still refused as a second answer, never taken for a new one.
    @Test func secondAnswerAfterAnInlineAnswerIsRefusedToo() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/twice-late")
        #expect(answer.status == 200)
        #expect(answer.text == #"{"answer": 1}"#)
        #expect(host.waitForOutput("late second respond returned 3"))
    }

    @Test func headerWithCRLFFromAPluginIsDroppedNotSent() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/fixture/items/7")
        #expect(answer.headers["x-fixture"] == "ok")
        #expect(answer.headers["x-injected"] == nil)
        #expect(answer.headers["set-cookie"] == nil)
    }

    @Test func unknownAPIPathIsAJSON404() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/no/such/route")
        #expect(answer.status == 404)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(try answer.json()["detail"] as? String == "Not found: no route for GET /api/no/such/route.")
    }

    @Test func blockingHandlersDoNotStarveNonBlockingRoutes() async throws {
        let url = host.baseURL
        // Eight handlers sleeping 0.8 s each on the blocking pool...
        let sleepers = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try HTTP.get("\(url)/api/fixture/sleep").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        // ...while a non-blocking route still answers at once.
        let started = Date()
        let quick = try HTTP.get("\(url)/api/hello")
        let elapsed = Date().timeIntervalSince(started)
        #expect(quick.status == 200)
        #expect(elapsed < 1.0, "non-blocking route took \(elapsed) s while blocking handlers ran")
        #expect(try await sleepers.value == Array(repeating: 200, count: 8))
    }
}
