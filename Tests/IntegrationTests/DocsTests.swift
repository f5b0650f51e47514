import Foundation
import Testing

/// The aggregated OpenAPI document and the docs pages, with the Swift and the C example plugins
/// loaded, checked by the tools their users use: openapi-spec-validator, schemathesis, Chromium.
@Suite struct DocsTests {
    let host: HostProcess
    let key: String

    /// Serves the docs assets from static/, as an operator without Internet access would.
    static let offlineAssets = """
        [docs]
        title = "Docs test API"
        swagger_js_url = "/docs-assets/swagger-ui-bundle.js"
        swagger_css_url = "/docs-assets/swagger-ui.css"
        redoc_js_url = "/docs-assets/redoc.standalone.js"

        [rate_limit]
        rate = "100000/minute"
        """

    init() throws {
        let site = try HostProcess.makeSite(config: Self.offlineAssets) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.installCExample(into: plugins)
        }
        try Self.installDocsAssets(into: site.appending(path: "static/docs-assets"))
        key = try SecurityTests.newKey(["--name", "docs-reader", "--scope", "admin"], config: site.appending(path: "host.toml").path)
        host = try HostProcess(site: site)
    }

    /// Copies Swagger UI and ReDoc from the fastapi-offline package (installed by scripts/install-test-tools).
    static func installDocsAssets(into directory: URL) throws {
        let found = try run("python3", ["-c", "import fastapi_offline, os; print(os.path.join(os.path.dirname(fastapi_offline.__file__), 'static'))"])
        guard found.status == 0 else {
            throw FixtureError(message: "the Python package fastapi-offline is missing; run scripts/install-test-tools: \(found.combined)")
        }
        let source = URL(filePath: found.output.trimmingCharacters(in: .whitespacesAndNewlines))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"] {
            try FileManager.default.copyItem(at: source.appending(path: file), to: directory.appending(path: file))
        }
    }

    func document() throws -> [String: Any] { try HTTP.get("\(host.baseURL)/api/openapi.json").json() }

    @Test func documentPassesOpenAPISpecValidator() throws {
        let answer = try HTTP.get("\(host.baseURL)/api/openapi.json")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/json")
        let file = try makeTemporaryDirectory("openapi").appending(path: "openapi.json")
        try answer.body.write(to: file)
        let result = try run("python3", ["-m", "openapi_spec_validator", file.path])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.output.contains("OK"))
    }

    @Test func documentHoldsBuiltinsAndEveryPluginRouteAsServed() throws {
        let document = try document()
        #expect(document["openapi"] as? String == "3.1.1")
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] as? String == "Docs test API")
        let paths = try #require(document["paths"] as? [String: Any])
        for path in ["/api/health", "/api/login", "/api/plugins", "/api/config", "/api/metrics",
                     "/api/hello", "/api/hello/{name}", "/api/echo", "/api/whoami", "/api/admin", "/api/c/hello"] {
            #expect(paths[path] != nil, "missing \(path)")
        }
        // The pages themselves are not API operations, as in FastAPI.
        #expect(paths["/api/docs"] == nil && paths["/api/openapi.json"] == nil)

        let greet = try operation(document, "/api/hello/{name}", "get")
        let parameters = try #require(greet["parameters"] as? [[String: Any]])
        #expect(parameters.contains { $0["name"] as? String == "name" && $0["in"] as? String == "path" && $0["required"] as? Bool == true })
        #expect(greet["tags"] as? [String] == ["example"])
        #expect(greet["summary"] as? String == "Greet someone by name")

        let tags = try #require(document["tags"] as? [[String: Any]])
        let example = try #require(tags.first { $0["name"] as? String == "example" })
        #expect((example["description"] as? String)?.contains("Greets and echoes") == true)
        #expect(example["x-plugin-version"] as? String == "1.0.0")
        // The document is open: it names versions, not the operator's file names.
        #expect(example["x-plugin-file"] == nil)
        #expect(tags.contains { $0["name"] as? String == "hello-c" })
    }

    @Test func hostAddsWhatItEnforces() throws {
        let document = try document()
        let schemes = try #require((document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])
        let scheme = try #require(schemes["APIKeyHeader"] as? [String: Any])
        #expect(scheme["type"] as? String == "apiKey" && scheme["in"] as? String == "header" && scheme["name"] as? String == "X-API-Key")

        let admin = try operation(document, "/api/admin", "get")
        #expect((admin["security"] as? [[String: Any]])?.first?["APIKeyHeader"] != nil)
        let responses = try #require(admin["responses"] as? [String: Any])
        for status in ["200", "401", "403", "429", "504"] { #expect(responses[status] != nil, "GET /api/admin lacks \(status)") }
        #expect((admin["description"] as? String)?.contains("scope `admin`") == true)

        let open = try operation(document, "/api/hello", "get")
        #expect(open["security"] == nil)
        #expect((open["responses"] as? [String: Any])?["401"] == nil)
        let echo = try #require(try operation(document, "/api/echo", "post")["responses"] as? [String: Any])
        #expect(echo["413"] != nil && echo["504"] != nil)
        // Unlimited and open: nothing to add.
        let health = try #require(try operation(document, "/api/health", "get")["responses"] as? [String: Any])
        #expect(health.keys.sorted() == ["200"])

        let tooMany = try #require(((document["components"] as? [String: Any])?["responses"] as? [String: Any])?["TooManyRequests"] as? [String: Any])
        let headers = try #require(tooMany["headers"] as? [String: Any])
        #expect(Set(headers.keys) == ["RateLimit-Policy", "RateLimit", "Retry-After"])
    }

    @Test func twoPluginsSchemasWithOneNameStayDistinct() throws {
        let document = try document()
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        #expect(schemas["example.Greeting"] != nil && schemas["hello-c.Greeting"] != nil)
        #expect(schemas["Greeting"] == nil)
        func reference(_ path: String) throws -> String? {
            let responses = try operation(document, path, "get")["responses"] as? [String: Any]
            let content = ((responses?["200"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any]
            return (content?["schema"] as? [String: Any])?["$ref"] as? String
        }
        #expect(try reference("/api/hello") == "#/components/schemas/example.Greeting")
        #expect(try reference("/api/c/hello") == "#/components/schemas/hello-c.Greeting")
    }

    @Test func documentIsServedWithAnETag() throws {
        let first = try HTTP.get("\(host.baseURL)/api/openapi.json")
        let etag = try #require(first.headers["etag"])
        let again = try HTTP.request("GET", "\(host.baseURL)/api/openapi.json", headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(try HTTP.request("GET", "\(host.baseURL)/api/openapi.json", headers: ["If-None-Match": "\"other\""]).status == 200)
    }

    @Test func pagesCarryTheSecurityHeadersAndAPolicyForExactlyTheirAssets() throws {
        let swagger = try HTTP.get("\(host.baseURL)/api/docs")
        #expect(swagger.status == 200)
        #expect(swagger.text.contains("/docs-assets/swagger-ui-bundle.js"))
        #expect(swagger.text.contains("persistAuthorization: true"))
        let policy = try #require(swagger.headers["content-security-policy"])
        #expect(policy.hasPrefix("default-src 'none'; script-src 'self' 'sha256-"))
        #expect(!policy.contains("https:"))
        #expect(swagger.headers["x-frame-options"] == "DENY" && swagger.headers["x-content-type-options"] == "nosniff")
        #expect(swagger.headers["strict-transport-security"] != nil && swagger.headers["referrer-policy"] != nil)

        let redoc = try HTTP.get("\(host.baseURL)/api/redoc")
        #expect(redoc.status == 200)
        #expect(redoc.text.contains("<redoc spec-url=\"/api/openapi.json\">"))
        let redocPolicy = try #require(redoc.headers["content-security-policy"])
        #expect(redocPolicy.contains("script-src 'self' 'sha256-"), "\(redocPolicy)")
        // With local assets nothing leaves this server, not even ReDoc's badge.
        #expect(!redocPolicy.contains("https:"), "\(redocPolicy)")
        for page in [swagger, redoc] {
            #expect(page.text.contains("<link rel=\"icon\" href=\"data:,\">"), "no /favicon.ico request")
            #expect(page.text.contains("id=\"docs-fallback\""))
        }
        // Elsewhere the site's own (stricter) policy applies.
        #expect(try HTTP.get("\(host.baseURL)/api/health").headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true)
    }

    @Test func schemathesisFindsNoServerErrorAndNothingContradictingTheDocument() throws {
        let directory = try makeTemporaryDirectory("schemathesis")
        let har = directory.appending(path: "run.har")
        let result = try runWithDefaultSignals("schemathesis", [
            "run", "\(host.baseURL)/api/openapi.json", "--header", "X-API-Key: \(key)",
            "--checks", "all", "--max-examples", "300", "--seed", "20261125",
            "--report", "har", "--report-har-path", har.path,
        ], in: directory)  // schemathesis keeps a cache in its working directory: not in the repository
        #expect(result.status == 0, "\(result.combined)")
        let entries = try #require(((JSONSerialization.jsonObject(with: Data(contentsOf: har)) as? [String: Any])?["log"] as? [String: Any])?["entries"] as? [Any])
        #expect(entries.count >= 500, "schemathesis sent only \(entries.count) requests")
        #expect(!host.output.contains(key))
    }

    @Test func chromiumListsThePluginOperationsAndTryItOutWorks() throws {
        let result = try runWithDefaultSignals("python3", [
            Paths.fixtures.appending(path: "docs_browser.py").path, host.baseURL, key,
            "/api/hello/{name}", "/api/echo", "/api/whoami", "/api/c/hello", "/api/health",
        ])
        #expect(result.status == 0, "\(result.combined)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(report["try_it_out_status"] as? Int == 200)
        #expect((report["try_it_out_body"] as? String)?.contains("\"key\": \"docs-reader\"") == true)
        #expect(report["redoc_ok"] as? Bool == true)
        #expect((report["requests"] as? Int ?? 0) > 5, "the browser's requests were not seen: \(report)")
    }

    /// Where the assets cannot be loaded (here: a loopback port nothing listens on, as a CDN
    /// behind a proxy would fail), each page says so and names the keys that fix it.
    @Test func pagesWhoseAssetsFailShowWhatToDo() throws {
        let site = try HostProcess.makeSite(config: """
            [docs]
            swagger_js_url = "http://127.0.0.1:9/swagger-ui-bundle.js"
            swagger_css_url = "http://127.0.0.1:9/swagger-ui.css"
            redoc_js_url = "http://127.0.0.1:9/redoc.standalone.js"
            """) { _ in }
        let unreachable = try HostProcess(site: site)
        let result = try runWithDefaultSignals("python3", [Paths.fixtures.appending(path: "docs_browser.py").path, "--fallback", unreachable.baseURL])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.output.contains("http://127.0.0.1:9/swagger-ui-bundle.js"), "\(result.output)")
    }

    private func operation(_ document: [String: Any], _ path: String, _ method: String) throws -> [String: Any] {
        try #require(((document["paths"] as? [String: Any])?[path] as? [String: Any])?[method] as? [String: Any])
    }
}

/// Plugins whose documentation the host cannot use, and docs switched off.
@Suite struct DocsProblemTests {
    @Test func brokenOperationJSONIsAWarningAndTheRouteStillServes() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build(name: "broken", defines: ["FIXTURE_NAME=\"broken\"", "FIXTURE_PREFIX=\"/broken\"", "FIXTURE_BROKEN_OPENAPI"], into: plugins)
            try FixturePlugins.build(name: "dangling", defines: ["FIXTURE_NAME=\"dangling\"", "FIXTURE_PREFIX=\"/dangling\"", "FIXTURE_DANGLING_OPENAPI"], into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.waitForOutput("plugin 'broken' (libbroken.so) route GET /api/broken/items/{id}: its OpenAPI operation is not used: openapi_json is not a JSON object"))
        #expect(host.output.contains("plugin 'dangling' (libdangling.so) route GET /api/dangling/items/{id}: its OpenAPI operation is not used:"))
        #expect(host.output.contains("it refers to #/components/schemas/Missing, which the plugin did not give in openapi_components"))
        #expect(try HTTP.get("\(host.baseURL)/api/broken/items/7").status == 200)

        let document = try HTTP.get("\(host.baseURL)/api/openapi.json").json()
        let item = try #require(((document["paths"] as? [String: Any])?["/api/broken/items/{id}"] as? [String: Any])?["get"] as? [String: Any])
        #expect(item["description"] as? String == "Not documented by the plugin `broken`.")
        let file = try makeTemporaryDirectory("openapi").appending(path: "openapi.json")
        try HTTP.get("\(host.baseURL)/api/openapi.json").body.write(to: file)
        #expect(try run("python3", ["-m", "openapi_spec_validator", file.path]).status == 0)
    }

    @Test func strictModeRefusesToStartWithBrokenDocs() throws {
        let site = try HostProcess.makeSite(config: "[plugins]\nstrict = true\n") { plugins in
            try FixturePlugins.build(name: "broken", defines: ["FIXTURE_NAME=\"broken\"", "FIXTURE_BROKEN_OPENAPI"], into: plugins)
        }
        let result = try run(Paths.plughost.path, ["serve", "--config", site.appending(path: "host.toml").path, "--port", "0"])
        #expect(result.status != 0)
        #expect(result.combined.contains("1 plugin OpenAPI description(s) could not be used"))
    }

    @Test func checkReportsDocsWarningsAndStrictModeFailsOnThem() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build(name: "broken", defines: ["FIXTURE_NAME=\"broken\"", "FIXTURE_BROKEN_OPENAPI"], into: plugins)
        }
        let config = site.appending(path: "host.toml")
        let relaxed = try run(Paths.plughost.path, ["check", "--config", config.path])
        #expect(relaxed.status == 0, "\(relaxed.combined)")
        #expect(relaxed.output.contains("docs warning: plugin 'broken' (libbroken.so) route GET /api/fixture/items/{id}: its OpenAPI operation is not used"))
        #expect(relaxed.output.contains("1 plugin(s) ok, 0 refused, 1 docs warning(s)"))
        try "[tls]\nenabled = false\n[plugins]\nstrict = true\n".write(to: config, atomically: true, encoding: .utf8)
        #expect(try run(Paths.plughost.path, ["check", "--config", config.path]).status == 1)
    }

    @Test func docsCanBeSwitchedOff() throws {
        let site = try HostProcess.makeSite(config: "[docs]\nenabled = false\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        for path in ["/api/openapi.json", "/api/docs", "/api/redoc"] {
            #expect(try HTTP.get("\(host.baseURL)\(path)").status == 404, "\(path)")
        }
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }
}
