import Foundation
import Testing

/// `proceed_setting_response()` (ABI 1.5): a request hook edits the answer too, whoever gives it,
/// where its response hook would run; what a response hook may not change stays the host's; a
/// route or a response hook calling it, or a NULL array with a count, gets a clear refusal.
@Suite struct ProceedSettingResponseTests {
    static let wrongPhase = 7  // PH_ERR_WRONG_PHASE

    static func stamp(_ name: String, into plugins: URL) throws {
        try FixturePlugins.build(name: name, defines: ["FIXTURE_NAME=\"\(name)\"", "FIXTURE_PREFIX=\"/\(name)\"", "FIXTURE_MIDDLEWARE_STAMP"], into: plugins)
    }

    @Test func theAnswerCarriesTheEditsTheHostAllowsAndTheRouteSeesTheRequestEdits() throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in try Self.stamp("s", into: plugins) })
        let answer = try HTTP.get("\(host.baseURL)/api/s/echo-headers")
        #expect(answer.status == 200)
        #expect(try answer.json()["x-stamp-seen"] as? String == "s")
        #expect(answer.headers["x-stamp"] == "s")
        #expect(answer.headers["x-stamped-by-s"] == "yes")
        #expect(answer.headers["x-trail"] == "stamped")
        // Before the middleware's own response hook, which sees them and may not use the function.
        #expect(answer.headers["x-stamp-seen-by-response-hook"] == "yes")
        #expect(answer.headers["x-stamp-response-hook-got"] == "\(Self.wrongPhase)")
        // The security header stays, the framing is the host's, the CR LF value never reaches the wire.
        #expect(answer.headers["x-frame-options"] == "DENY")
        #expect(answer.headers["content-length"] == "\(answer.body.count)")
        #expect(answer.headers["x-evil"] == nil && answer.headers["set-cookie"] == nil, "\(answer.headers)")
        #expect(host.waitForOutput("may not change X-Frame-Options"), "\(host.output)")
        #expect(host.output.contains("sent an invalid header"), "\(host.output)")
        // Every /api answer, built-in routes too.
        #expect(try HTTP.get("\(host.baseURL)/api/health").headers["x-stamp"] == "s")
        // A route may not call it; its answer says what it got.
        let route = try HTTP.get("\(host.baseURL)/api/s/stamp-in-route")
        #expect(try route.json()["got"] as? Int == Self.wrongPhase, "\(route.text)")
        #expect(host.output.contains("called proceed_setting_response() in"), "\(host.output)")
    }

    @Test func aNullArrayWithACountCostsThatRequestA500AndNothingElse() throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in try Self.stamp("s", into: plugins) })
        let broken = try HTTP.request("GET", "\(host.baseURL)/api/s/echo-headers", headers: ["X-Stamp-Null": "1"])
        #expect(broken.status == 500, "\(broken.text)")
        #expect(broken.text.contains("malformed answer"), "\(broken.text)")
        #expect(host.waitForOutput("called proceed_setting_response() with 1 edits and 2 response edits and a NULL array"), "\(host.output)")
        #expect(try HTTP.get("\(host.baseURL)/api/s/echo-headers").headers["x-stamp"] == "s")
    }

    /// The answer to `GET /api/s/echo-headers` from a host running the middlewares in `order`.
    static func answer(order: [String], plugins: @escaping (URL) throws -> Void) throws -> HTTPAnswer {
        let list = order.map { "\"\($0)\"" }.joined(separator: ", ")
        let host = try HostProcess(site: try HostProcess.makeSite(config: "[middleware]\norder = [\(list)]\n", plugins: plugins))
        return try HTTP.get("\(host.baseURL)/api/s/echo-headers")
    }

    @Test func theEditsApplyWhereTheResponseHookWouldRun() throws {
        let plugins: (URL) throws -> Void = { plugins in
            try Self.stamp("s", into: plugins)
            try MiddlewareTests.fixtureWithMiddleware("m", into: plugins)
        }
        // Response hooks run in reverse order: m's hook first, then s's edits replace its trail...
        #expect(try Self.answer(order: ["s-stamp", "m-mark"], plugins: plugins).headers["x-trail"] == "stamped")
        // ...or s's edits first, and m's hook appends to them.
        #expect(try Self.answer(order: ["m-mark", "s-stamp"], plugins: plugins).headers["x-trail"] == "stamped,m")
    }

    @Test func twoMiddlewaresSettingTheSameHeaderApplyInReverseOrder() throws {
        let plugins: (URL) throws -> Void = { plugins in
            try Self.stamp("s", into: plugins)
            try Self.stamp("t", into: plugins)
        }
        for (order, last) in [(["s-stamp", "t-stamp"], "s"), (["t-stamp", "s-stamp"], "t")] {
            let answer = try Self.answer(order: order, plugins: plugins)
            // Both middlewares' edits arrive; the first middleware's come last, as its response hook would.
            #expect(answer.headers["x-stamped-by-s"] == "yes" && answer.headers["x-stamped-by-t"] == "yes", "\(answer.headers)")
            #expect(answer.headers["x-stamp"] == last, "\(order)")
        }
    }

    @Test func theHostsOwn504CarriesThem() throws {
        let site = try HostProcess.makeSite(config: "[server]\nhandler_timeout = 1\n[middleware]\norder = [\"s-stamp\", \"quiet-silent\"]\n") { plugins in
            try Self.stamp("s", into: plugins)
            try FixturePlugins.build(name: "quiet", defines: ["FIXTURE_NAME=\"quiet\"", "FIXTURE_PREFIX=\"/quiet\"", "FIXTURE_MIDDLEWARE_SILENT"], into: plugins)
        }
        let host = try HostProcess(site: site)
        let answer = try HTTP.get("\(host.baseURL)/api/quiet/echo-headers")
        #expect(answer.status == 504)
        #expect(answer.headers["x-stamp"] == "s", "\(answer.headers)")
    }
}
