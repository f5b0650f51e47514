import Dispatch
import Foundation
import PlugHostSDK
import PlugHostTesting
import Testing

/// A plugin linked into this test binary, for `TestHost(plugin:)`: one route per behaviour the
/// kit must see, and two whose answers drift from their documentation.
enum KitProbePlugin: PlugHostPlugin {
    static let name = "kit-probe"
    static let version = "1.0.0"

    struct Item: Encodable {
        let id: Int
        let color: String
        var tags: [String]?
    }

    static func register(_ plugin: PluginRegistrar) throws {
        plugin.schema("Item", .object([
            "id": .integer(description: "The id."),
            "color": .string(description: "A colour.", allowed: ["red", "green"]),
            "tags": .array(of: .string()),
        ], required: ["id", "color"]))
        let item = RouteDocs.Reply.json(.ref("Item"), "An item")
        let hits = plugin.metrics.counter("hits_total", help: "Requests to /kit/item.")
        let log = plugin.log

        try plugin.get("/kit/item/{id}", options: .nonBlocking, docs: RouteDocs(summary: "An item", responses: [200: item])) { request in
            hits.increment()
            log.info("item \(request.parameters["id"] ?? "") asked for")
            return .json(Item(id: Int(request.parameters["id"] ?? "") ?? 0, color: "red", tags: ["a"]))
        }
        // Documents an integer id, answers a string: the kit must name $.id.
        try plugin.get("/kit/wrong-type", options: .nonBlocking, docs: RouteDocs(summary: "Drifted", responses: [200: item])) { _ in
            .json(["id": "seven", "color": "red"])
        }
        // Documents red or green, answers blue: the kit must name $.color.
        try plugin.get("/kit/wrong-enum", options: .nonBlocking, docs: RouteDocs(summary: "Drifted", responses: [200: item])) { _ in
            .json(Item(id: 1, color: "blue"))
        }
        // Documents only 200, answers 418.
        try plugin.get("/kit/undocumented", options: .nonBlocking, docs: RouteDocs(summary: "Drifted", responses: [200: item])) { _ in
            .problem(status: 418, detail: "I am a teapot.")
        }
        // Answers 100 ms after its handler returned, from another thread.
        try plugin.route(.get, "/kit/late", options: .nonBlocking, docs: RouteDocs(summary: "Late", responses: [200: item]),
                         respondingLater: { _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) {
                responder.respond(.json(Item(id: 2, color: "green")))
            }
        })
        try plugin.get("/kit/admin", options: [.nonBlocking, .authRequired], scope: "admin",
                       docs: RouteDocs(summary: "Scoped", responses: [200: item])) { request in
            .json(Item(id: 3, color: "green", tags: [request.keyName ?? ""]))
        }
    }
}

/// PlugHostTesting: the real host in process, for a linked plugin type and for a `.so` by path.
@Suite struct TestHostTests {
    @Test func linkedPluginAnswersThroughTheRealPipeline() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self)
        let response = try await host.get("/api/kit/item/7")
        #expect(response.status == 200)
        #expect(response.json?["id"]?.numberValue == 7)
        // The host's own layers ran: security headers, the rate limit's headers, the request log.
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("RateLimit-Policy") != nil)
        #expect(host.logs.contains { $0.message.hasPrefix("request GET /api/kit/item/7") })
        #expect(host.logs(ofPlugin: "kit-probe").map(\.message).contains("item 7 asked for"))
        #expect((host.metrics(ofPlugin: "kit-probe")["plugin_kit_probe_hits_total"] ?? 0) >= 1)
        // Unknown paths and wrong methods are the host's answers too.
        #expect(try await host.get("/api/kit/nothing").status == 404)
        #expect(try await host.request("DELETE", "/api/kit/item/7").status == 405)
        await host.shutDown()
    }

    @Test func lateAnswerIsAwaited() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self)
        let response = try await host.get("/api/kit/late")
        #expect(response.status == 200)
        #expect(response.json?["color"]?.stringValue == "green")
        await host.shutDown()
    }

    @Test func gateChecksKeysScopesAndRateLimits() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self, config: """
            [rate_limit]
            rate = "3/minute"
            """)
        #expect(try await host.get("/api/kit/admin").status == 401)
        let plain = try host.makeKey(name: "plain")
        #expect(try await host.get("/api/kit/admin", headers: [host.keyHeader: plain]).status == 403)
        let admin = try host.makeKey(name: "boss", scopes: ["admin"])
        let allowed = try await host.get("/api/kit/admin", headers: [host.keyHeader: admin])
        #expect(allowed.status == 200)
        #expect(allowed.json?["tags"]?[0]?.stringValue == "boss")
        // Per key: the fourth request of "boss" within the minute is refused; another client's is not.
        _ = try await host.get("/api/kit/admin", headers: [host.keyHeader: admin])
        _ = try await host.get("/api/kit/admin", headers: [host.keyHeader: admin])
        let limited = try await host.get("/api/kit/admin", headers: [host.keyHeader: admin])
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") != nil)
        #expect(try await host.request("GET", "/api/kit/item/1", client: "10.0.0.9").status == 200)
        await host.shutDown()
    }

    @Test func answerOfTheWrongTypeFailsNamingRouteStatusAndField() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self)
        let error = await #expect(throws: DocumentationMismatch.self) { try await host.get("/api/kit/wrong-type") }
        #expect(error?.description == "GET /api/kit/wrong-type answered 200 with a body that does not match its documented schema: $.id: expected integer, got string \"seven\"")
        #expect(error?.response.status == 200)
        await host.shutDown()
    }

    @Test func valueOutsideTheDocumentedEnumFails() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self)
        let error = await #expect(throws: DocumentationMismatch.self) { try await host.get("/api/kit/wrong-enum") }
        #expect(error?.description.contains("GET /api/kit/wrong-enum answered 200") == true)
        #expect(error?.description.contains("$.color: \"blue\" is not one of the documented values \"red\", \"green\"") == true)
        await host.shutDown()
    }

    @Test func undocumentedStatusFailsNamingRouteStatusAndField() async throws {
        let host = try TestHost(plugin: KitProbePlugin.self)
        let error = await #expect(throws: DocumentationMismatch.self) { try await host.get("/api/kit/undocumented") }
        #expect(error?.description.hasPrefix("GET /api/kit/undocumented answered 418, a status its OpenAPI description does not document: responses has no \"418\", \"4XX\" or \"default\" (documented: 200,") == true)
        // The check can be turned off to look at the answer itself.
        let unchecked = try TestHost(plugin: KitProbePlugin.self, checksDocs: false)
        #expect(try await unchecked.get("/api/kit/undocumented").status == 418)
        await host.shutDown()
        await unchecked.shutDown()
    }

    @Test func pluginFileIsLoadedByPathWithItsConfig() async throws {
        let library = TestBinaries.directory.appending(path: "libExamplePlugin.so")
        let host = try TestHost(pluginFiles: [library.path], config: """
            [plugins.example]
            greeting = "Hi from the kit"
            """)
        let response = try await host.get("/api/hello/Ada")
        #expect(response.json?["message"]?.stringValue == "Hi from the kit, Ada!")
        #expect(response.header("X-Request-ID") != nil, "the plugin's middleware runs")
        let key = try host.makeKey(name: "reader")
        #expect(try await host.get("/api/whoami", headers: [host.keyHeader: key]).json?["key"]?.stringValue == "reader")
        let document = try #require(host.openAPIDocument)
        #expect(String(decoding: document, as: UTF8.self).contains("\"/api/hello/{name}\""))
        await host.shutDown()
    }

    @Test func refusedPluginFileThrowsTheLineServeLogs() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "kit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "libnotes.so")
        try "just text\n".write(to: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: PluginRefused.self) { try TestHost(pluginFiles: [file.path]) }
        #expect(error?.description.hasPrefix("plugin libnotes.so refused: it is not a shared library") == true)
    }
}

/// Where the build products are: the directory of this test binary (e.g. `.build/debug`).
enum TestBinaries {
    static let directory: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(filePath: executable).deletingLastPathComponent()
        // The binary is in PlugHostPackageTests.xctest/ (or the swift-testing runner beside it).
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appending(path: "plughost").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }()
}
