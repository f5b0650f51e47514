import Foundation
import Testing

/// Plugins that end the process they run in other than by a fatal signal: exit() and _exit(), at
/// registration and in a handler, under the supervisor; and exit(), abort() and a hang at
/// registration under `plughost check`. Each is named, and the other plugins go on.
@Suite struct PluginExitTests {
    /// `Fixtures/exiting_plugin.c` as `libexiting.so`, with one of its -D switches (or none: routes).
    static func buildExiting(_ define: String? = nil, into plugins: URL) throws {
        try FixturePlugins.build("exiting_plugin.c", name: "exiting", defines: define.map { [$0] } ?? [], into: plugins)
    }

    @Test(arguments: [("EXITING_EXIT_AT_LOAD=7", "exited with status 7, calling exit() in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_EXIT_AT_LOAD=0", "exited with status 0, calling exit() in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_QUICK_EXIT_AT_LOAD", "exited with status 5 without exit() (an _exit() or the exit system call) in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_THREAD_EXIT_AT_LOAD", "exited with status 6 through exit() on a thread that ran no plugin call (one a plugin started, say) in plugin 'exiting' (libexiting.so), loading libexiting.so")])
    func aPluginThatEndsItsWorkerAtRegistrationIsNamedAndTheHostServesTheOthers(define: String, logged: String) throws {
        let site = try HostProcess.makeSite { plugins in
            try Self.buildExiting(define, into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
        // Before: the supervisor took the worker's exit for "the host cannot start" and stopped.
        let host = try HostProcess(site: site)
        #expect(host.output.contains("crashed: it \(logged)"), "\(host.output)")
        #expect(host.output.contains("QUARANTINED plugin 'exiting' (libexiting.so)"), "\(host.output)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        #expect(host.isRunning)
    }

    @Test func aReloadWithAPluginThatExitsAtRegistrationNamesItAndTheServingWorkerStays() throws {
        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site)
        try Self.buildExiting("EXITING_EXIT_AT_LOAD=7", into: site.appending(path: "plugins"))
        let reload = try host.command(["reload"])
        #expect(reload.status == 1)
        #expect(reload.error.contains("could not start: it exited with status 7, calling exit() in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                "\(reload.combined)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        let status = try host.command(["status"])
        #expect(status.output.contains(#""generation":1,"pid""#), "the first worker still serves: \(status.combined)")
    }

    @Test(arguments: [("exit", "exited with status 3, calling exit() in plugin 'exiting' (libexiting.so), GET /api/exiting/exit"),
                      ("quick-exit", "exited with status 4 without exit() (an _exit() or the exit system call) in plugin 'exiting' (libexiting.so), GET /api/exiting/quick-exit")])
    func aPluginThatEndsItsWorkerInAHandlerIsNamedAndQuarantined(path: String, logged: String) async throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in
            try Self.buildExiting(into: plugins)
            try FixturePlugins.installExample(into: plugins)
        })
        for attempt in 1...5 {
            _ = try? HTTP.get("\(host.baseURL)/api/exiting/\(path)", timeout: 5)
            #expect(host.waitForOutput("QUARANTINED", seconds: attempt == 5 ? 5 : 0.3) == (attempt == 5), "after exit \(attempt)")
            // Back before the next exit, so that each one hits a serving worker.
            var back = false
            for _ in 0..<300 where !back {
                back = (try? HTTP.get("\(host.baseURL)/api/health", timeout: 1))?.status == 200
                if !back { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(back)
        }
        #expect(host.output.contains("crashed: it \(logged)"), "\(host.output)")
        // Before: no plugin was blamed, and the fifth exit was a crash loop with service withheld.
        #expect(!host.output.contains("crash loop"), "\(host.output)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200, "the example plugin keeps serving")
        #expect(try HTTP.get("\(host.baseURL)/api/exiting/ok").status == 404, "the quarantined plugin's routes are gone")
    }

    @Test(arguments: [("EXITING_EXIT_AT_LOAD=7", "its loading ended the process loading it: it exited with status 7, calling exit() in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_THREAD_EXIT_AT_LOAD", "its loading ended the process loading it: it exited with status 6 through exit() on a thread that ran no plugin call (one a plugin started, say) in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_ABORT_AT_LOAD", "its loading ended the process loading it: it was killed by SIGABRT (aborted) in plugin 'exiting' (libexiting.so), loading libexiting.so"),
                      ("EXITING_HANG_AT_LOAD", "its loading did not return within 1.0 s ([supervisor] start_timeout)")])
    func checkNamesAPluginWhoseLoadingEndsItsProcessAndChecksTheOthers(define: String, cause: String) throws {
        let site = try HostProcess.makeSite(config: "[supervisor]\nstart_timeout = 1\n") { plugins in
            try Self.buildExiting(define, into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try runBounded(["check", "--config", site.appending(path: "host.toml").path], seconds: 30)
        #expect(result.status == 1, "\(result.combined)")
        #expect(result.output.contains("plugin libexiting.so refused: \(cause)"), "\(result.combined)")
        #expect(result.output.contains("plugin libExamplePlugin.so: ok"), "\(result.combined)")
        #expect(result.output.hasSuffix("1 plugin(s) ok, 1 refused, 0 docs warning(s)\n"), "\(result.combined)")
    }
}

/// Runs `plughost ARGUMENTS` for at most `seconds`: one still running then is interrupted, and the
/// test fails (a check that hangs must not hang the tests).
func runBounded(_ arguments: [String], seconds: Double) throws -> CommandResult {
    let command = try RunningCommand.withDefaultSignals(Paths.plughost.path, arguments)
    let deadline = Date().addingTimeInterval(seconds)
    while command.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    let finished = !command.isRunning
    if !finished { command.interrupt() }
    let result = command.wait()
    #expect(finished, "plughost \(arguments.first ?? "") still ran after \(seconds) s; output: \(result.combined)")
    return result
}
