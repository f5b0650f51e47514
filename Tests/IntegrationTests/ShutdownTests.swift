import Foundation
import Testing

/// SIGTERM drains: in-flight requests are answered, plugins are told, the exit status is 0.
@Suite struct ShutdownTests {
    @Test func sigtermDuringARequestLetsItFinishThenExitsZero() async throws {
        let site = try HostProcess.makeSite(config: "[server]\nshutdown_grace = 5\n") { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        // A two-second request, as the hardening issue asks.
        let url = "\(host.baseURL)/api/fixture/sleep?ms=2000"
        let inFlight = try HTTP.start(url)
        try await Task.sleep(for: .milliseconds(300))
        let status = host.stop()
        let answer = try inFlight.answer()
        #expect(answer.status == 200, "the request under way when SIGTERM came was answered")
        #expect(answer.text == #"{"slept": 2000}"#)
        #expect(status == 0)
        #expect(host.output.contains("fixture shut down cleanly"))
        #expect(host.output.contains("example plugin shut down"), "the Swift SDK's hook runs too")
        #expect(host.output.contains("PlugHost stopped"))
    }
}
