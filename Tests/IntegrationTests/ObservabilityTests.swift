import Foundation
import Testing

/// `/api/metrics`, `/api/plugins` and `/api/config` against the real binary.
@Suite(.serialized)
struct ObservabilityTests {
    let host: HostProcess
    let key: String

    init() throws {
        let site = try HostProcess.makeSite(config: """
            [rate_limit]
            rate = "1000/minute"
            [rate_limit.routes]
            "GET /api/fixture/items/{id}" = "2/minute"
            [plugins.fixture]
            token = "fixture-secret-value"
            [plugins.example]
            greeting = "Hi"
            """) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build(name: "fixture", into: plugins)
            try "not a library".write(to: plugins.appending(path: "libbroken.so"), atomically: true, encoding: .utf8)
        }
        key = try SecurityTests.newKey(["--name", "operator"], config: site.appending(path: "host.toml").path)
        host = try HostProcess(site: site)
    }

    private func get(_ path: String, key: String? = nil) throws -> HTTPAnswer {
        try HTTP.request("GET", "\(host.baseURL)\(path)", headers: key.map { ["X-API-Key": $0] } ?? [:])
    }

    /// Parses the exposition text with the Prometheus project's own Python parser and returns
    /// every sample as "name{sorted labels}" -> value.
    private func scrape() throws -> [String: Double] {
        let answer = try get("/api/metrics", key: key)
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let parser = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    out[f"{s.name}{{{labels}}}"] = s.value
            print(json.dumps(out))
            """
        let result = try run("python3", ["-c", parser], input: answer.body)
        guard result.status == 0 else { throw FixtureError(message: "the Prometheus parser refused the output: \(result.error)") }
        return try JSONDecoder().decode([String: Double].self, from: Data(result.output.utf8))
    }

    @Test func metricsNeedAKey() throws {
        #expect(try get("/api/metrics").status == 401)
    }

    @Test func requestCountsPerPluginRouteAndStatusMatchWhatWasSent() throws {
        for _ in 0..<3 { _ = try get("/api/hello") }
        for _ in 0..<2 { _ = try get("/api/hello/Ada") }
        for id in 0..<4 { _ = try get("/api/fixture/items/\(id)") }
        _ = try get("/api/no/such/path")
        let samples = try scrape()
        #expect(samples[#"plughost_http_requests_total{method="GET",plugin="example",route="/api/hello",status="2xx"}"#] == 3)
        #expect(samples[#"plughost_http_requests_total{method="GET",plugin="example",route="/api/hello/{name}",status="2xx"}"#] == 2)
        #expect(samples[#"plughost_http_requests_total{method="GET",plugin="fixture",route="/api/fixture/items/{id}",status="2xx"}"#] == 2)
        #expect(samples[#"plughost_http_requests_total{method="GET",plugin="fixture",route="/api/fixture/items/{id}",status="4xx"}"#] == 2)
        #expect(samples[#"plughost_http_requests_total{method="GET",plugin="host",route="unmatched",status="4xx"}"#] == 1)
        #expect(samples[#"plughost_rate_limit_rejections_total{policy="GET /api/fixture/items/{id}"}"#] == 2)
        #expect(samples[#"plughost_http_request_duration_seconds_count{method="GET",plugin="example",route="/api/hello"}"#] == 3)
        #expect(!samples.keys.contains { $0.contains("/api/fixture/items/1") }, "raw paths never become labels")
    }

    @Test func failuresTimeoutsAndPluginMetricsAreCounted() throws {
        _ = try get("/api/whoami")
        _ = try get("/api/whoami", key: "ph_wrongwrong_x")
        _ = try get("/api/fixture/twice")
        _ = try get("/api/fixture/config")
        _ = try get("/api/fixture/config")
        #expect(host.waitForOutput("a second time"))
        let samples = try scrape()
        #expect(samples[#"plughost_auth_failures_total{reason="missing"}"#] ?? 0 >= 1)
        #expect(samples[#"plughost_auth_failures_total{reason="invalid"}"#] ?? 0 >= 1)
        #expect(samples[#"plughost_plugin_load_failures_total{reason="not_a_shared_library"}"#] == 1)
        #expect(samples[#"plughost_handler_double_answers_total{plugin="fixture"}"#] == 1)
        #expect(samples[#"plugin_fixture_config_reads_total{}"#] == 2)
        #expect(samples[#"plugin_fixture_last_config_read{}"#] == 42.5)
        #expect(samples[#"process_resident_memory_bytes{}"#] ?? 0 > 1_000_000)
        #expect(samples[#"process_open_fds{}"#] ?? 0 > 3)
        #expect(samples[#"plughost_plugins_loaded{}"#] == 2)
    }

    @Test func swiftPluginMetricAppearsUnderItsNamespace() throws {
        _ = try get("/api/hello")
        let samples = try scrape()
        #expect(samples[#"plugin_example_greetings_total{}"#] ?? 0 >= 1)
    }

    @Test func pluginsInventoryShowsLoadedAndRefusedFiles() throws {
        #expect(try get("/api/plugins").status == 401)
        let json = try get("/api/plugins", key: key).json()
        let plugins = try #require(json["plugins"] as? [[String: Any]])
        let broken = try #require(plugins.first { $0["file"] as? String == "libbroken.so" })
        #expect(broken["state"] as? String == "refused")
        #expect(broken["reason"] as? String == "not_a_shared_library")
        #expect((broken["sha256"] as? String)?.count == 64)
        let example = try #require(plugins.first { $0["name"] as? String == "example" })
        #expect(example["state"] as? String == "loaded")
        #expect(example["abi"] as? String == "1.5")
        #expect((example["build"] as? String)?.contains("shared Swift runtime") == true)
        let routes = try #require(example["routes"] as? [[String: Any]])
        #expect(routes.contains { $0["path"] as? String == "/api/whoami" && $0["auth_required"] as? Bool == true })
        let middlewares = try #require(example["middlewares"] as? [[String: Any]])
        #expect(middlewares.map { $0["name"] as? String } == ["request-id"])
    }

    @Test func effectiveConfigNeedsAKeyAndHidesSecrets() throws {
        #expect(try get("/api/config").status == 401)
        let answer = try get("/api/config", key: key)
        #expect(answer.status == 200)
        #expect(!answer.text.contains("fixture-secret-value"))
        let json = try answer.json()
        let settings = try #require(json["plugin_settings"] as? [String: Any])
        #expect((settings["fixture"] as? [String: Any])?["token"] as? String == "***")
        #expect((settings["example"] as? [String: Any])?["greeting"] as? String == "Hi")
        #expect((json["server"] as? [String: Any])?["port"] as? Int == 0, "command-line overrides are in force")
        #expect(!answer.text.contains(key))
    }
}

/// Redaction of a Redis password in the effective configuration.
@Suite struct EffectiveConfigRedactionTests {
    @Test func redisPasswordIsRedacted() throws {
        let site = try HostProcess.makeSite(config: "[rate_limit]\nstore = \"redis://:hunter2@127.0.0.1:1/0\"\n") { _ in }
        let key = try SecurityTests.newKey(["--name", "op"], config: site.appending(path: "host.toml").path)
        let host = try HostProcess(site: site)
        let answer = try HTTP.request("GET", "\(host.baseURL)/api/config", headers: ["X-API-Key": key])
        #expect(answer.status == 200)
        #expect(!answer.text.contains("hunter2"))
        #expect(answer.text.contains("redis://:***@127.0.0.1:1/0"))
    }
}
