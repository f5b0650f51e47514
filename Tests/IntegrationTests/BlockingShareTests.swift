import Foundation
import Testing

/// One plugin whose blocking handlers hang must not take the blocking pool from another plugin,
/// and a 504 for a call that never got a thread must say so instead of blaming the plugin.
@Suite struct BlockingShareTests {
    /// Two copies of the fixture under other names: `greedy` and `innocent`, both with the
    /// blocking route `GET /api/NAME/sleep?ms=N`, on a pool of 4 threads.
    private func serve(timeout: Double, _ extra: String = "") throws -> HostProcess {
        let site = try HostProcess.makeSite(config: """
            [server]
            blocking_threads = 4
            handler_timeout = \(timeout)

            [metrics]
            auth_required = false
            \(extra)
            """) { plugins in
            for name in ["greedy", "innocent"] {
                try FixturePlugins.build(name: name, defines: ["FIXTURE_NAME=\"\(name)\"", "FIXTURE_PREFIX=\"/\(name)\""], into: plugins)
            }
        }
        return try HostProcess(site: site)
    }

    /// Starts `count` requests that each hold a thread of `greedy` for 3 s, and waits until the
    /// host has seen them all.
    private func flood(_ host: HostProcess, count: Int) throws -> [HTTP.InFlight] {
        let slow = try (0..<count).map { _ in try HTTP.start("\(host.baseURL)/api/greedy/sleep?ms=3000", timeout: 20) }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, host.output.components(separatedBy: "request GET /api/greedy/sleep").count - 1 < count {
            Thread.sleep(forTimeInterval: 0.05)
        }
        return slow
    }

    @Test func aPluginPastItsShareGets503AndTheOthersKeepTheirThreads() throws {
        let host = try serve(timeout: 5)
        // The default share of a 4-thread pool is 3: the fourth to eighth calls are refused.
        let slow = try flood(host, count: 8)
        let started = Date()
        let innocent = try HTTP.get("\(host.baseURL)/api/innocent/sleep?ms=100", timeout: 10)
        #expect(innocent.status == 200, "the other plugin's blocking route must get a thread: \(innocent.text)")
        #expect(Date().timeIntervalSince(started) < 1.5)
        let statuses = try slow.map { try $0.answer().status }.sorted()
        #expect(statuses == [200, 200, 200, 503, 503, 503, 503, 503], "\(statuses)")
        #expect(host.output.contains("plugin 'greedy' has 3 blocking calls running or waiting for a thread, its share ([plugins.greedy] max_concurrency)"))
        let metrics = try HTTP.get("\(host.baseURL)/api/metrics").text
        #expect(metrics.contains("plughost_plugin_busy_total{plugin=\"greedy\"} 5"), "\(metrics)")
    }

    @Test func a504ForACallThatNeverRanSaysTheThreadsWereBusy() throws {
        // The greedy plugin may take the whole pool: the innocent one then waits for a thread.
        let host = try serve(timeout: 1.5, "\n[plugins.greedy]\nmax_concurrency = 4\n")
        let slow = try flood(host, count: 4)
        let innocent = try HTTP.get("\(host.baseURL)/api/innocent/sleep?ms=100", timeout: 10)
        #expect(innocent.status == 504)
        #expect(innocent.text.contains("The plugin 'innocent' was not called: for 1.5 seconds every thread for blocking plugin calls was busy."), "\(innocent.text)")
        #expect(host.waitForOutput("GET /api/innocent/sleep of plugin 'innocent' waited 1.5 s for a blocking thread and never ran"))
        // They held their threads past the timeout themselves.
        #expect(try slow.map { try $0.answer().status } == [504, 504, 504, 504])
        // Given up while it waited, the call is never made once a thread frees up.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!host.output.contains("plugin 'innocent' answered GET /api/innocent/sleep after the host's timeout"), "the given-up call ran after all")
    }
}
