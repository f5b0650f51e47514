import Foundation
import Testing

/// The supervisor with real worker processes: crashes under load, reloads under load, a broken
/// reload, quarantine, and the lifeline between the two. Load comes from wrk and `wire.py load`
/// on loopback. A load runs from before the event it measures until `loadAfterSeconds` after it,
/// however long the machine takes to get there (on a busy one, seconds), and never longer than
/// `maxLoadSeconds`. Serialized: two loads at once would measure each other, not the supervisor;
/// the load tests come last, after the other suites' busiest start.
@Suite(.serialized) struct SupervisorTests {
    static let maxLoadSeconds = 90
    /// How long a load goes on after the crash or reload: what the service does next counts too.
    static let loadAfterSeconds = 3

    /// Load tests measure failures the supervisor causes, not the rate limiter's 429s.
    static let unlimited = "[rate_limit]\nenabled = false\n"

    func crashSite(config: String = unlimited) throws -> URL {
        try HostProcess.makeSite(config: config) { plugins in
            try FixturePlugins.build(name: "fixture", defines: ["FIXTURE_CRASH"], into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
    }

    /// Keep-alive clients that count every failed request (wrk does not count a request whose
    /// connection ends before the answer's first byte: that is what a worker crash does). They
    /// run until `stopFile` exists, or `maxLoadSeconds`.
    static func countingLoad(_ host: HostProcess, connections: Int = 64, stopFile: URL) throws -> RunningCommand {
        try RunningCommand("python3", [Paths.fixtures.appending(path: "wire.py").path, "load", "\(host.port)", "/api/hello",
                                       "\(connections)", "\(maxLoadSeconds)", stopFile.path])
    }

    static func counted(_ load: RunningCommand) throws -> LoadResult {
        let result = load.wait()
        guard result.status == 0 else { throw FixtureError(message: "wire.py load failed: \(result.combined)") }
        return try LoadResult(json: result.output)
    }

    /// wrk until interrupted (as Ctrl-C, which makes it print its summary), or `maxLoadSeconds`.
    static func wrk(_ host: HostProcess) throws -> RunningCommand {
        try RunningCommand.withDefaultSignals("wrk", ["-t2", "-c64", "-d\(maxLoadSeconds)s", "\(host.baseURL)/api/hello"])
    }

    /// Waits until the load clients are under way (on a busy machine they can take seconds to
    /// start): a crash or a reload before them would prove nothing.
    static func waitUntilLoaded(_ host: HostProcess, requests: Int = 100) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, host.output.components(separatedBy: "response GET /api/hello ").count <= requests {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(host.output.components(separatedBy: "response GET /api/hello ").count > requests, "the load did not start")
    }

    @Test func aReloadToAnotherAddressMovesTheServiceThere() throws {
        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site)
        let toml = site.appending(path: "host.toml")
        try (try String(contentsOf: toml, encoding: .utf8) + "\n[server]\nhost = \"127.0.0.2\"\n").write(to: toml, atomically: true, encoding: .utf8)

        let reload = try host.command(["reload"])
        #expect(reload.status == 0, "\(reload.combined)")
        let moved = try #require(reload.output.range(of: "serves http://127.0.0.2:").map { reload.output[$0.upperBound...].prefix { $0.isNumber } },
                                 "\(reload.combined)")
        #expect(try HTTP.get("http://127.0.0.2:\(moved)/api/hello").status == 200)
        #expect(host.waitForOutput("PlugHost now listening on http://127.0.0.2:\(moved)"))
        // The old address closes once its worker has drained: connections are refused there.
        let deadline = Date().addingTimeInterval(10)
        var refused = false
        while !refused, Date() < deadline {
            refused = (try? run("curl", ["-s", "-o", "/dev/null", "--max-time", "2", "\(host.baseURL)/api/health"]))?.status == 7
            if !refused { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(refused, "the old address still accepts")
    }

    @Test func aReloadWithABrokenHostTomlLeavesTheOldWorkerServingAndSaysWhy() throws {
        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site)
        let toml = site.appending(path: "host.toml")
        let good = try String(contentsOf: toml, encoding: .utf8)
        try (good + "\n[server]\nworkers = \"many\"\n").write(to: toml, atomically: true, encoding: .utf8)

        let reload = try host.command(["reload"])
        #expect(reload.status == 1)
        #expect(reload.error.contains("reload failed, the running worker(s) keep serving"), "\(reload.combined)")
        #expect(reload.error.contains("workers"), "the error names the key: \(reload.combined)")
        #expect(host.output.contains("reload failed"), "the supervisor logs it too")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)

        // A host.toml that parses but whose worker cannot start (strict mode and a plugin that
        // fails to register): the error comes from the new worker, the old one goes on.
        try (good + "\n[plugins]\nstrict = true\n").write(to: toml, atomically: true, encoding: .utf8)
        try FixturePlugins.build(name: "failing", defines: ["FIXTURE_NAME=\"failing\"", "FIXTURE_FAIL_REGISTRATION"],
                                 into: site.appending(path: "plugins"))
        let second = try host.command(["reload"])
        #expect(second.status == 1)
        #expect(second.error.contains("could not start"), "\(second.combined)")
        #expect(second.error.contains("strict"), "\(second.combined)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        let status = try host.command(["status"])
        #expect(status.output.contains(#""generation":1,"pid""#), "the first worker still serves: \(status.combined)")
    }

    @Test func aPluginThatCrashesFiveTimesInAMinuteIsQuarantinedAndTheOthersKeepServing() async throws {
        let site = try crashSite()
        let key = try SecurityTests.newKey(["--name", "ops"], config: site.appending(path: "host.toml").path)
        let host = try HostProcess(site: site)
        for attempt in 1...5 {
            _ = try? HTTP.get("\(host.baseURL)/api/fixture/crash-abort", timeout: 5)
            #expect(host.waitForOutput("QUARANTINED", seconds: attempt == 5 ? 5 : 0.3) == (attempt == 5), "after crash \(attempt)")
            // Back before the next crash, so each one hits a serving worker.
            var back = false
            for _ in 0..<200 where !back {
                back = (try? HTTP.get("\(host.baseURL)/api/health", timeout: 1))?.status == 200
                if !back { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(back)
        }
        #expect(host.output.contains("killed by SIGABRT (aborted) in plugin 'fixture' (libfixture.so), GET /api/fixture/crash-abort"), "\(host.output)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200, "the example plugin keeps serving")
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 404, "the quarantined plugin's routes are gone")
        let inventory = try HTTP.request("GET", "\(host.baseURL)/api/plugins", headers: ["X-API-Key": key]).json()
        let entry = (inventory["plugins"] as? [[String: Any]])?.first { $0["file"] as? String == "libfixture.so" }
        #expect(entry?["state"] as? String == "quarantined", "\(inventory)")
        #expect((entry?["detail"] as? String)?.contains("crashed a worker 5 times") == true, "\(String(describing: entry))")

        // A fixed build of the file is loaded again at the next reload (the quarantine holds the
        // old content only); nothing of it is mapped now, so it may be overwritten in place.
        try FixturePlugins.build(name: "fixture", into: site.appending(path: "plugins"))
        let reload = try host.command(["reload"])
        #expect(reload.status == 0, "\(reload.combined)")
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 200, "the fixed plugin serves again")
    }

    @Test func aPluginThatCrashesWhileLoadingIsQuarantinedAndTheHostStarts() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build(name: "fixture", defines: ["FIXTURE_CRASH_AT_LOAD"], into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.output.contains("in plugin 'fixture' (libfixture.so), loading libfixture.so"), "\(host.output)")
        #expect(host.output.contains("QUARANTINED plugin 'fixture' (libfixture.so)"))
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }

    @Test func aPluginThatHangsWhileLoadingIsQuarantinedAfterTheStartTimeout() throws {
        let site = try HostProcess.makeSite(config: "[supervisor]\nstart_timeout = 1\n") { plugins in
            try FixturePlugins.build(name: "fixture", defines: ["FIXTURE_HANG_AT_LOAD"], into: plugins)
            try FixturePlugins.installExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.output.contains("it did not start listening within 1.0 s"), "\(host.output)")
        #expect(host.output.contains("also in flight: 'fixture' (libfixture.so), loading libfixture.so"))
        #expect(host.output.contains("QUARANTINED plugin 'fixture' (libfixture.so)"))
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }

    @Test func workersKilledFromOutsideFiveTimesAMinuteMakeACrashLoopThatBacksOff() throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) })
        for attempt in 1...5 {
            let worker = try #require(host.servingWorker(), "attempt \(attempt)")
            kill(worker, SIGKILL)
            let deadline = Date().addingTimeInterval(attempt == 5 ? 10 : 5)
            while Date() < deadline, host.servingWorker().map({ $0 == worker }) ?? true { Thread.sleep(forTimeInterval: 0.05) }
        }
        // SIGKILL blames no plugin: the fifth kill is a crash loop, and the next worker waits.
        #expect(host.output.contains("crash loop: 5 or more worker crashes within 60 s that no single plugin explains; next worker in 1 s"), "\(host.output)")
        #expect(!host.output.contains("QUARANTINED"))
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }

    @Test func theSupervisorMapsNoPluginAndTheWorkerMapsThemAll() throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
            try FixturePlugins.installExample(into: plugins)
        })
        let worker = try #require(host.servingWorker())
        // Through cat: Foundation reads a /proc file only as far as its reported size.
        let supervisorMaps = try run("cat", ["/proc/\(host.pid)/maps"]).output
        let workerMaps = try run("cat", ["/proc/\(worker)/maps"]).output
        for plugin in ["libfixture.so", "libExamplePlugin.so"] {
            #expect(!supervisorMaps.contains(plugin), "the supervisor has \(plugin) mapped")
            #expect(workerMaps.contains(plugin), "the worker lacks \(plugin)")
        }
    }

    @Test func aWorkerWhoseSupervisorDiesExits() throws {
        let host = try HostProcess(site: try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) })
        let worker = try #require(host.servingWorker())
        #expect(isAlive(worker))
        host.send(SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while isAlive(worker), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!isAlive(worker), "the orphaned worker shut down")
    }

    @Test func sigtermToTheSupervisorStopsItsWorkersGracefully() async throws {
        let site = try HostProcess.makeSite(config: "[server]\nshutdown_grace = 5\nworkers = 2\n") { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.output.contains("2 worker(s)"))
        let inFlight = try HTTP.start("\(host.baseURL)/api/fixture/sleep?ms=1500")
        try await Task.sleep(for: .milliseconds(300))
        let exitStatus = host.stop()
        #expect(try inFlight.answer().status == 200)
        #expect(exitStatus == 0)
        #expect(host.output.components(separatedBy: "finished draining and exited with status 0").count == 3, "\(host.output)")
    }

    @Test(arguments: [["--no-supervisor"], []])
    func withoutASupervisorTheHostServesFromOneProcess(arguments: [String]) throws {
        let config = arguments.isEmpty ? "[server]\nsupervise = false\n" : ""
        let host = try HostProcess(site: try HostProcess.makeSite(config: config) { plugins in try FixturePlugins.installExample(into: plugins) },
                                   arguments: arguments)
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        #expect(!host.output.contains("supervisor"))
        let status = try host.command(["status"])
        #expect(status.status == 1)
        #expect(status.error.contains("no plughost supervisor answers"), "\(status.combined)")
    }

    @Test func aCrashUnderLoadFailsOnlyTheDyingWorkersRequestsAndServiceReturnsWithinOneSecond() async throws {
        let host = try HostProcess(site: try crashSite())
        let stopFile = host.site.appending(path: "stop-load")
        let load = try Self.countingLoad(host, stopFile: stopFile)
        try await Self.waitUntilLoaded(host)
        let crash = try? HTTP.get("\(host.baseURL)/api/fixture/crash", timeout: 5)
        let crashedAt = Date()
        let loadOverlapsTheCrash = load.isRunning
        var recoveredAfter: Double?
        while Date().timeIntervalSince(crashedAt) < 5 {
            if (try? HTTP.get("\(host.baseURL)/api/health", timeout: 1))?.status == 200 {
                recoveredAfter = Date().timeIntervalSince(crashedAt)
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .seconds(Self.loadAfterSeconds))
        _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
        let counted = try Self.counted(load)
        try #require(loadOverlapsTheCrash, "the load had ended before the crash: nothing was measured")
        #expect(crash == nil || crash?.status == 0, "the crashing request got no answer")
        let recovery = try #require(recoveredAfter, "the service did not come back within 5 s")
        #expect(recovery < 1.0, "back after \(recovery) s")
        // One worker serves all 64 connections, so each may lose the request it had in flight; a
        // connection waiting in the listen queue meanwhile is served by the replacement.
        print("crash under load: recovered after \(String(format: "%.3f", recovery)) s; \(counted)")
        #expect(counted.requests > 500, "\(counted)")
        // Usually exactly 64: every connection had a request in flight, or sent one before it
        // noticed the close. Never more.
        #expect(counted.failed >= 1 && counted.failed <= 64, "\(counted)")
        #expect(counted.non200 == 0, "\(counted)")
        #expect(host.output.contains("crashed: it was killed by SIGSEGV (segmentation fault) at address 0x0 in plugin 'fixture' (libfixture.so), GET /api/fixture/crash"),
                "\(host.output)")
        #expect(host.output.contains("starting a new worker in place of"))
    }

    @Test func reloadWithANewPluginUnderLoadFailsNoRequest() async throws {
        let site = try HostProcess.makeSite(config: Self.unlimited) { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site)
        let staging = try makeTemporaryDirectory("plughost-staging")
        defer { try? FileManager.default.removeItem(at: staging) }
        let newPlugin = try FixturePlugins.build(name: "fixture", into: staging)
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 404)

        let stopFile = host.site.appending(path: "stop-load")
        let load = try Self.wrk(host)
        let counting = try Self.countingLoad(host, connections: 16, stopFile: stopFile)
        try await Self.waitUntilLoaded(host)
        try FileManager.default.copyItem(at: newPlugin, to: site.appending(path: "plugins/libfixture.so"))
        let reload = try host.command(["reload"])
        let answered = try HTTP.get("\(host.baseURL)/api/fixture/config")
        try #require(load.isRunning && counting.isRunning, "the load had ended before the reload: nothing was measured")
        try await Task.sleep(for: .seconds(Self.loadAfterSeconds))
        load.interrupt()
        _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
        let wrk = try WrkResult(load.wait())
        let counted = try Self.counted(counting)

        #expect(reload.status == 0, "\(reload.combined)")
        #expect(reload.output.contains("ok: reloaded: generation 2 serves \(host.baseURL) with 2 plugin(s)"), "\(reload.combined)")
        #expect(answered.status == 200, "the new plugin's route answers as soon as reload returns")
        print("reload under load: wrk: \(wrk); counting clients: \(counted)")
        #expect(wrk.requests > 1000, "\(wrk)")
        #expect(wrk.socketErrors == 0, "\(wrk)")
        #expect(wrk.non2xx == 0, "\(wrk)")
        #expect(counted.requests > 200, "\(counted)")
        #expect(counted.failed == 0, "\(counted)")
        #expect(counted.non200 == 0, "\(counted)")
        #expect(host.waitForOutput("(generation 1) finished draining and exited with status 0"))
        let status = try host.command(["status"])
        #expect(status.output.contains(#""generation":2"#), "\(status.combined)")
    }

    private func isAlive(_ pid: Int32) -> Bool {
        // A zombie has exited; only its parent has yet to notice.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
    }
}

/// What `wire.py load` counted.
struct LoadResult: CustomStringConvertible {
    let requests: Int
    let failed: Int
    let non200: Int
    let failures: [String]
    /// Answers by status; 0 counts the requests that got none.
    let statuses: [Int: Int]

    init(json: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        requests = object["requests"] as? Int ?? 0
        failed = object["failed"] as? Int ?? -1
        non200 = object["non_200"] as? Int ?? -1
        failures = object["failures"] as? [String] ?? []
        statuses = Dictionary(uniqueKeysWithValues: ((object["statuses"] as? [String: Int]) ?? [:]).compactMap { key, value in Int(key).map { ($0, value) } })
    }

    func count(_ status: Int) -> Int { statuses[status] ?? 0 }

    var description: String {
        "\(requests) requests, \(failed) failed, \(non200) not 200\(failures.isEmpty ? "" : " (\(failures.joined(separator: "; ")))")"
    }
}

/// What wrk reports at the end of a run.
struct WrkResult: CustomStringConvertible {
    let requests: Int
    let connectErrors: Int
    let readErrors: Int
    let writeErrors: Int
    let timeouts: Int
    let non2xx: Int
    var socketErrors: Int { connectErrors + readErrors + writeErrors + timeouts }

    init(_ result: CommandResult) throws {
        let text = result.output
        func number(after label: String) -> Int? {
            guard let range = text.range(of: label) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
        guard result.status == 0, let requests = Self.requests(in: text) else {
            throw FixtureError(message: "wrk failed: \(result.combined)")
        }
        self.requests = requests
        connectErrors = number(after: "Socket errors: connect ") ?? 0
        readErrors = number(after: ", read ") ?? 0
        writeErrors = number(after: ", write ") ?? 0
        timeouts = number(after: ", timeout ") ?? 0
        non2xx = number(after: "Non-2xx or 3xx responses: ") ?? 0
    }

    /// "  12345 requests in 10.00s, ..."
    private static func requests(in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(" requests in ") }) else { return nil }
        return Int(line.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
    }

    var description: String {
        "\(requests) requests, socket errors connect \(connectErrors) read \(readErrors) write \(writeErrors) timeout \(timeouts), non-2xx \(non2xx)"
    }
}
