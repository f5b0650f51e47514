import Foundation
import Testing

/// The plugin kit as a plugin author meets it: `plughost plugins new` outside the repository,
/// the project's own build and test, then a real host serving and documenting it; and
/// `plughost plugins test` on each way a plugin can fail.
@Suite struct PluginKitTests {
    /// The acceptance path of issue #21, for a Swift and a C plugin.
    @Test(.timeLimit(.minutes(30)))
    func scaffoldedPluginsBuildPassTheirTestsAndAreServedAndDocumented() throws {
        let workspace = try makeTemporaryDirectory("plughost-kit")
        defer { try? FileManager.default.removeItem(at: workspace) }
        #expect(!workspace.path.hasPrefix(Paths.repository.path), "the projects must live outside the repository")

        let swiftProject = workspace.appending(path: "kit-swift")
        let newSwift = try run(Paths.plughost.path, ["plugins", "new", "kit-swift", "--dir", swiftProject.path])
        #expect(newSwift.status == 0, "\(newSwift.combined)")
        #expect(newSwift.output.contains("depends on PlugHostSDK and PlugHostTesting by path: \(Paths.repository.path)"))
        let cProject = workspace.appending(path: "kit-c")
        let newC = try run(Paths.plughost.path, ["plugins", "new", "kit-c", "--lang", "c", "--dir", cProject.path])
        #expect(newC.status == 0, "\(newC.combined)")
        #expect(newC.output.contains("include/plughost.h"))

        // C: one command builds it, its test runs through plughost plugins test --script.
        let make = try run("make", ["-s", "-C", cProject.path])
        #expect(make.status == 0, "\(make.combined)")
        let cTest = try run("make", ["-s", "-C", cProject.path, "test", "PLUGHOST=\(Paths.plughost.path)"])
        #expect(cTest.status == 0, "\(cTest.combined)")
        #expect(cTest.output.contains(#""request":"GET /api/kit-c/hello","status":200"#), "\(cTest.combined)")
        #expect(cTest.error.contains("plugins test: 2 request(s), 2 as expected, 0 not"), "\(cTest.combined)")

        // Swift: one command builds it, its test runs through PlugHostTesting. The build folder is
        // kept between runs, outside any checkout (~/.cache/plughost/kit-scaffold, or
        // PLUGHOST_KIT_SCRATCH): the server's dependencies, which PlugHostTesting links, are
        // compiled once per machine, not on every run. SwiftPM locks it, so parallel runs wait.
        let scratch = ["--scratch-path", Self.scaffoldScratch.path]
        let build = try run("timeout", ["1200", "swift", "build", "--package-path", swiftProject.path] + scratch)
        #expect(build.status == 0, "\(build.combined)")
        let swiftTest = try run("timeout", ["1200", "swift", "test", "--package-path", swiftProject.path] + scratch)
        #expect(swiftTest.status == 0, "\(swiftTest.combined)")
        #expect(swiftTest.combined.contains("Test greetsByName() passed"), "\(swiftTest.combined)")

        // Both served by a real host, and documented.
        let binPath = try run("swift", ["build", "--package-path", swiftProject.path, "--show-bin-path"] + scratch).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let site = try HostProcess.makeSite { plugins in
            try FileManager.default.copyItem(at: URL(filePath: binPath).appending(path: "libKitSwift.so"), to: plugins.appending(path: "libKitSwift.so"))
            try FileManager.default.copyItem(at: cProject.appending(path: "libkit_c.so"), to: plugins.appending(path: "libkit_c.so"))
        }
        let host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)/api/kit-swift/hello/Ada").json()["message"] as? String == "Hello, Ada!")
        #expect(try HTTP.get("\(host.baseURL)/api/kit-c/hello").json()["message"] as? String == "Hello from kit-c")
        let document = try HTTP.get("\(host.baseURL)/api/openapi.json").json()
        let paths = document["paths"] as? [String: Any] ?? [:]
        #expect(paths["/api/kit-swift/hello/{who}"] != nil)
        #expect(paths["/api/kit-c/hello"] != nil)
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        #expect(schemas["kit-swift.Greeting"] != nil && schemas["kit-c.Greeting"] != nil)
    }

    static var scaffoldScratch: URL {
        if let path = ProcessInfo.processInfo.environment["PLUGHOST_KIT_SCRATCH"] { return URL(filePath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appending(path: ".cache/plughost/kit-scaffold")
    }

    @Test func newRefusesABadNameAndAFullDirectory() throws {
        let bad = try run(Paths.plughost.path, ["plugins", "new", "Bad Name"])
        #expect(bad.status == 2)
        #expect(bad.error.contains("the name must be 1-64 of a-z, 0-9, '-' and '_', starting with a letter"))
        let directory = try makeTemporaryDirectory("kit-full")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "mine\n".write(to: directory.appending(path: "keep.txt"), atomically: true, encoding: .utf8)
        let full = try run(Paths.plughost.path, ["plugins", "new", "ok", "--dir", directory.path])
        #expect(full.status == 2)
        #expect(full.error.contains("exists and is not empty"))
        #expect(try String(contentsOf: directory.appending(path: "keep.txt"), encoding: .utf8) == "mine\n", "nothing of the user's is overwritten")
    }

    // MARK: - plughost plugins test on the loader tests' adversarial cases

    /// A site (for its host.toml) and a plugin built into it; runs `plughost plugins test FILE ARGS`.
    private func pluginsTest(config: String = "", build: (URL) throws -> URL, _ arguments: [String]) throws -> CommandResult {
        let site = try HostProcess.makeSite(config: config) { _ in }
        defer { try? FileManager.default.removeItem(at: site) }
        let file = try build(site.appending(path: "plugins"))
        return try run(Paths.plughost.path, ["plugins", "test", file.path, "--config", site.appending(path: "host.toml").path] + arguments)
    }

    @Test func notAnELFFileIsRefusedWithServesMessage() throws {
        let result = try pluginsTest(build: { plugins in
            let file = plugins.appending(path: "libnotes.so")
            try "just some text\n".write(to: file, atomically: true, encoding: .utf8)
            return file
        }, ["--request", "GET /api/hello"])
        #expect(result.status == 1)
        #expect(result.error.contains("plugin libnotes.so refused: it is not a shared library (empty, truncated or another kind of file)"), "\(result.combined)")
        #expect(result.error.contains("plugins test: 1 plugin(s) refused; no request sent"))
        #expect(result.output.isEmpty, "no answer is printed")
    }

    @Test func wrongABIIsRefusedWithServesMessage() throws {
        let result = try pluginsTest(build: { plugins in
            try FixturePlugins.build(name: "future", defines: ["FIXTURE_NAME=\"future\"", "FIXTURE_ABI_MAJOR=2", "FIXTURE_ABI_MINOR=0"], into: plugins)
        }, ["--request", "GET /api/fixture/config"])
        #expect(result.status == 1)
        #expect(result.error.contains("plugin libfuture.so refused: incompatible ABI: the plugin has abi_major = 2 (ABI 2.0), this host has abi_major = 1 (ABI 1.5)"), "\(result.combined)")
    }

    @Test func crashInAHandlerIsReportedLikeServesCrashedWorker() throws {
        let result = try pluginsTest(build: { plugins in
            try FixturePlugins.build(name: "fixture", defines: ["FIXTURE_CRASH"], into: plugins)
        }, ["--request", "GET /api/fixture/crash"])
        #expect(result.status == 1)
        // The supervisor logs "worker N (generation G) crashed: it was killed by …" for the same crash.
        #expect(result.error.contains("plugins test: the process serving the plugins crashed: it was killed by SIGSEGV (segmentation fault) at address 0x0 in plugin 'fixture' (libfixture.so), GET /api/fixture/crash"),
                "\(result.combined)")
        #expect(!FileManager.default.fileExists(atPath: "core"), "no core dump of the tool")
    }

    /// exit() in a handler, exit(0) at load and a hang at load end the child, not the command,
    /// and are reported with the supervisor's own words for the same ending.
    @Test(arguments: [
        (nil, "GET /api/exiting/exit", "plugins test: the process serving the plugins crashed: it exited with status 3, calling exit() in plugin 'exiting' (libexiting.so), GET /api/exiting/exit"),
        ("EXITING_EXIT_AT_LOAD=0", "GET /api/exiting/ok", "plugins test: the process serving the plugins crashed: it exited with status 0, calling exit() in plugin 'exiting' (libexiting.so), loading libexiting.so"),
        ("EXITING_HANG_AT_LOAD", "GET /api/exiting/ok", "plugins test: the process serving the plugins did not finish within"),
    ] as [(String?, String, String)])
    func pluginThatEndsOrHangsTheProcessIsReported(define: String?, request: String, message: String) throws {
        let result = try pluginsTest(config: "[supervisor]\nstart_timeout = 2\n[server]\nhandler_timeout = 1\nshutdown_grace = 1\n", build: { plugins in
            try FixturePlugins.build("exiting_plugin.c", name: "exiting", defines: define.map { [$0] } ?? [], into: plugins)
        }, ["--request", request])
        #expect(result.status == 1, "\(result.combined)")
        #expect(result.error.contains(message), "\(result.combined)")
    }

    @Test func handlerThatNeverAnswersIsATimeout() throws {
        let result = try pluginsTest(config: "[server]\nhandler_timeout = 1\n", build: { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }, ["--request", "GET /api/fixture/never"])
        #expect(result.status == 1)
        #expect(result.error.contains("plugin 'fixture' did not answer GET /api/fixture/never within 1.0 s; sent 504"), "\(result.combined)")
        #expect(result.error.contains("plugins test: GET /api/fixture/never: the plugin did not answer within [server] handler_timeout (1.0 s)"))
        #expect(result.output.hasPrefix("HTTP/1.1 504"))
    }

    @Test func scriptChecksEveryExpectedStatus() throws {
        let script = try makeTemporaryDirectory("kit-script").appending(path: "requests.jsonl")
        defer { try? FileManager.default.removeItem(at: script.deletingLastPathComponent()) }
        try """
            # the fixture's routes
            {"request": "GET /api/fixture/config", "status": 200}
            {"request": "GET /api/fixture/async", "status": 201}
            {"request": "POST /api/fixture/config", "status": 405, "headers": {"X-Test": "1"}, "body": "x"}
            """.write(to: script, atomically: true, encoding: .utf8)
        let result = try pluginsTest(build: { plugins in try FixturePlugins.build(name: "fixture", into: plugins) }, ["--script", script.path])
        #expect(result.status == 1, "one expectation does not hold")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.contains(#""ok":true,"request":"GET /api/fixture/config","status":200"#) == true, "\(result.output)")
        #expect(result.error.contains("plugins test: GET /api/fixture/async: expected status 201, got 200"))
        #expect(result.error.contains("plugins test: 3 request(s), 2 as expected, 1 not"))
    }

    @Test func requestWithHeadersAndBodyIsAnsweredOnStdout() throws {
        let result = try pluginsTest(build: { plugins in
            let file = plugins.appending(path: "libExamplePlugin.so")
            try FileManager.default.copyItem(at: Paths.examplePlugin, to: file)
            return file
        }, ["--request", "POST /api/echo", "--header", "Content-Type: text/plain", "--body", "echo me", "--expect-status", "200"])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.output.hasPrefix("HTTP/1.1 200"))
        #expect(result.output.lowercased().contains("\ncontent-type: text/plain\n"))
        #expect(result.output.hasSuffix("\n\necho me\n"), "\(result.output)")
        #expect(result.error.contains("info plughost: response POST /api/echo"), "serve's request log, on stderr")
    }

    /// A C plugin whose answer does not match its own documentation fails its test.
    @Test func answerAgainstItsDocumentationFailsTheRun() throws {
        let result = try pluginsTest(build: { plugins in
            let source = plugins.appending(path: "drift.c")
            try #"""
                #include "plughost.h"
                PH_PLUGIN_MAGIC("drift", "1", "")
                static const ph_host_api_t *host;
                static void h(ph_call_t *c, const ph_request_t *r, void *u) {
                    (void)r; (void)u;
                    const ph_pair_t hs[] = {{{"Content-Type", 12}, {"application/json", 16}}};
                    ph_response_t a = {sizeof(ph_response_t), 200, hs, 1, {"{\"message\": 5}", 14}};
                    host->respond(c, &a);
                }
                PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *p) {
                    host = api;
                    ph_route_t r = {sizeof(ph_route_t), "GET", "/drift", PH_ROUTE_NON_BLOCKING, h, 0,
                        "{\"responses\": {\"200\": {\"description\": \"ok\", \"content\": {\"application/json\": {\"schema\":"
                        " {\"type\": \"object\", \"required\": [\"message\"], \"properties\": {\"message\": {\"type\": \"string\"}}}}}}}}", 0, 1, 0};
                    return api->register_route(p, &r);
                }
                """#.write(to: source, atomically: true, encoding: .utf8)
            let library = plugins.appending(path: "libdrift.so")
            let compiled = try run("cc", ["-std=c11", "-shared", "-fPIC", "-I", Paths.abiInclude.path, "-o", library.path, source.path])
            guard compiled.status == 0 else { throw FixtureError(message: "cc failed: \(compiled.combined)") }
            return library
        }, ["--request", "GET /api/drift", "--expect-status", "200"])
        #expect(result.status == 1)
        #expect(result.error.contains("plugins test: GET /api/drift: docs: GET /api/drift answered 200 with a body that does not match its documented schema: $.message: expected string, got integer 5"),
                "\(result.combined)")
        let unchecked = try pluginsTest(build: { plugins in
            try FileManager.default.copyItem(at: Paths.examplePlugin, to: plugins.appending(path: "libExamplePlugin.so"))
            return plugins.appending(path: "libExamplePlugin.so")
        }, ["--request", "GET /api/hello", "--no-docs-check"])
        #expect(unchecked.status == 0, "\(unchecked.combined)")
    }

    @Test func badScriptLineIsAUsageError() throws {
        let script = try makeTemporaryDirectory("kit-script").appending(path: "bad.jsonl")
        defer { try? FileManager.default.removeItem(at: script.deletingLastPathComponent()) }
        try "{\"request\": \"GET /api/x\", \"status\": 200}\n{\"request\": \"GET\\r\\n/api/x\", \"status\": 200}\n".write(to: script, atomically: true, encoding: .utf8)
        let result = try pluginsTest(build: { plugins in try FixturePlugins.build(name: "fixture", into: plugins) }, ["--script", script.path])
        #expect(result.status == 2)
        #expect(result.error.contains("\(script.path):2: \"request\" must be 'METHOD /path'"), "\(result.combined)")
    }
}
