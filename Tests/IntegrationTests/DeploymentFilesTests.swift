import Foundation
import Testing

/// The deployment files in deploy/ are real: the systemd unit passes `systemd-analyze verify`, and
/// every metric the Grafana dashboard queries is one a running host exports. (The nginx config is
/// run by ``FleetTests``.)
@Suite struct DeploymentFilesTests {
    static let unit = Paths.repository.appending(path: "deploy/systemd/plughost.service")
    static let dashboard = Paths.repository.appending(path: "deploy/grafana/plughost-fleet.json")

    @Test func theSystemdUnitVerifiesAndReloadsWithPlughostReload() throws {
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        #expect(text.contains("\nExecReload=/usr/local/bin/plughost reload --config "), "ExecReload runs `plughost reload`")
        #expect(text.contains("\nExecStart=/usr/local/bin/plughost serve --config "))
        #expect(text.contains("\nKillMode=mixed\n"), "SIGTERM to the supervisor only; it drains its workers")
        // systemd-analyze checks that the programs exist: the copy points at the binary under test.
        let directory = try makeTemporaryDirectory("unit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appending(path: "plughost.service")
        try text.replacingOccurrences(of: "/usr/local/bin/plughost", with: Paths.plughost.path).write(to: copy, atomically: true, encoding: .utf8)
        guard FileManager.default.fileExists(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is not installed; scripts/install-test-tools installs the systemd package")
            return
        }
        let result = try run("/usr/bin/systemd-analyze", ["verify", copy.path])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.combined.isEmpty, "no warnings: \(result.combined)")

        // The check can fail: a unit whose ExecReload names a missing program is refused.
        let broken = directory.appending(path: "broken.service")
        try text.replacingOccurrences(of: "/usr/local/bin/plughost", with: Paths.plughost.path)
            .replacingOccurrences(of: "ExecReload=\(Paths.plughost.path)", with: "ExecReload=/nonexistent/plughost")
            .write(to: broken, atomically: true, encoding: .utf8)
        #expect(try run("/usr/bin/systemd-analyze", ["verify", broken.path]).status != 0)
    }

    /// systemd's side of `Type=notify`: a datagram socket in `$NOTIFY_SOCKET`, read as systemd
    /// would read it, while the host starts, reloads and stops.
    @Test func theSupervisorTellsSystemdWhenItIsReadyReloadingAndStopping() throws {
        #expect(try String(contentsOf: Self.unit, encoding: .utf8).contains("\nType=notify\nNotifyAccess=main\n"))
        let directory = try makeTemporaryDirectory("notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "notify").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func nextMessage() -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : "nothing within 20 s"
        }

        let site = try HostProcess.makeSite { plugins in try FixturePlugins.installExample(into: plugins) }
        let host = try HostProcess(site: site, environment: ["NOTIFY_SOCKET": path])
        let ready = nextMessage()
        #expect(ready.hasPrefix("READY=1\n"), "\(ready)")
        #expect(try HTTP.get("\(host.baseURL)/api/health").status == 200, "ready means serving")

        let reload = try host.command(["reload"])
        #expect(reload.status == 0, "\(reload.combined)")
        #expect(nextMessage().hasPrefix("RELOADING=1\n"))
        #expect(nextMessage().hasPrefix("READY=1\n"), "ready again once the reload committed")

        // A reload that fails (host.toml broken) ends "reloading" too: the old workers serve on.
        try "[server]\nport = \"nope\"\n".write(to: site.appending(path: "host.toml"), atomically: true, encoding: .utf8)
        #expect(try host.command(["reload"]).status == 1)
        #expect(nextMessage().hasPrefix("RELOADING=1\n"))
        #expect(nextMessage().hasPrefix("READY=1\n"))

        host.stop()
        #expect(nextMessage().hasPrefix("STOPPING=1\n"))
    }

    @Test func everyMetricTheDashboardQueriesIsExportedByAHost() throws {
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dashboard)) as? [String: Any] ?? [:]
        let queries = Self.queries(in: dashboard)
        #expect(queries.count >= 10, "the dashboard's queries: \(queries)")

        // A host that has done everything the dashboard shows: answered, refused with 429, refused
        // a key, timed out a handler, refused a busy plugin, and lost a worker to a plugin crash.
        let site = try HostProcess.makeSite(config: """
            [server]
            handler_timeout = 0.3
            [metrics]
            auth_required = false
            [rate_limit.routes]
            "GET /api/hello" = "2/minute"
            [plugins.fixture]
            max_concurrency = 1

            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
            try FixturePlugins.build(name: "crasher", defines: ["FIXTURE_CRASH", "FIXTURE_NAME=\"crasher\"", "FIXTURE_PREFIX=\"/crasher\""], into: plugins)
        }
        let host = try HostProcess(site: site)
        // The crash first: a worker's own counters die with it, the crash count is the supervisor's.
        _ = try? HTTP.get("\(host.baseURL)/api/crasher/crash", timeout: 5)
        #expect(host.waitForOutput("starting a new worker", seconds: 10), "\(host.output)")
        var back = false
        for _ in 0..<200 where !back {
            back = (try? HTTP.get("\(host.baseURL)/api/health", timeout: 1))?.status == 200
            if !back { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(back, "a new worker serves")
        #expect(try HTTP.parallelStatuses("\(host.baseURL)/api/fixture/sleep?ms=400", count: 3).contains(503))
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/never").status == 504)
        #expect(try HTTP.get("\(host.baseURL)/api/whoami").status == 401)
        #expect(try HTTP.parallelStatuses("\(host.baseURL)/api/hello", count: 4).contains(429))
        var metrics = ""
        for _ in 0..<100 {
            if let answer = try? HTTP.get("\(host.baseURL)/api/metrics", timeout: 2), answer.status == 200 {
                metrics = answer.text
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let exported = Self.samples(metrics)
        let crashes = exported["plughost_plugin_crashes_total"] ?? []
        #expect(crashes.contains(#"plughost_plugin_crashes_total{plugin="crasher"} 1"#), "the new worker counts the crash its predecessor died of: \(crashes)")
        #expect(crashes.contains(#"plughost_plugin_crashes_total{plugin="example"} 0"#), "a plugin that crashed nothing is there at 0: \(crashes)")

        for query in queries {
            let names = Self.metricNames(in: query)
            #expect(!names.isEmpty, "query names no metric: \(query)")
            for name in names {
                #expect(exported[name] != nil, "the dashboard queries \(name), which the host does not export: \(query)")
            }
            // Every label it groups by exists on one of them (or is Prometheus's own `instance`).
            for label in Self.groupingLabels(in: query) where label != "instance" && label != "le" {
                let found = names.contains { name in exported[name]?.contains { $0.contains("\(label)=\"") } == true }
                #expect(found, "the dashboard groups by '\(label)', which no metric of \(names) has: \(query)")
            }
        }
    }

    /// Every `expr` and templating `query` of the dashboard.
    static func queries(in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            var found: [String] = []
            for (key, inner) in object {
                if key == "expr", let text = inner as? String { found.append(text) }
                else if key == "definition", let text = inner as? String { found.append(text) }
                else { found += queries(in: inner) }
            }
            return found
        }
        if let array = value as? [Any] { return array.flatMap { queries(in: $0) } }
        return []
    }

    /// The metric names in a PromQL query: the host's own (`plughost_…`) and the process figures.
    static func metricNames(in query: String) -> Set<String> {
        let expression = try! NSRegularExpression(pattern: #"\b(plughost_[a-z0-9_]+|process_[a-z0-9_]+)\b"#)
        return Set(expression.matches(in: query, range: NSRange(query.startIndex..., in: query)).compactMap {
            Range($0.range(at: 1), in: query).map { String(query[$0]) }
        })
    }

    /// The labels of every `by (...)` in a query.
    static func groupingLabels(in query: String) -> Set<String> {
        let expression = try! NSRegularExpression(pattern: #"\bby \(([^)]*)\)"#)
        return Set(expression.matches(in: query, range: NSRange(query.startIndex..., in: query)).flatMap { match -> [String] in
            guard let range = Range(match.range(at: 1), in: query) else { return [] }
            return query[range].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        })
    }

    /// Sample lines of a Prometheus text answer by metric name (histograms by their `_bucket`,
    /// `_sum` and `_count` names, as PromQL names them).
    static func samples(_ text: String) -> [String: [String]] {
        var found: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            found[String(name), default: []].append(String(line))
        }
        return found
    }
}
