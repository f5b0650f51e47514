import Foundation
public import Logging
import PlugHostConfig
import PlugHostDocs
import PlugHostDocsBuilder
import PlugHostKeys
import PlugHostObservability
import PlugHostPlugins
public import PlugHostSDK
import PlugHostServer

/// A PlugHost in the test's own process, serving one or more plugins without a socket.
///
/// It is the real host from the connection's responder inwards: the request log, security
/// headers, CORS, error responses, the gate (rate limit, API key, scope), the plugin middlewares,
/// the plugin call (inline or on the blocking pool, with the handler timeout) and the aggregated
/// OpenAPI document. Plugins are loaded by the same loader as `plughost serve`. Left out: TLS,
/// HTTP/2 and the connection's own limits and timeouts (`[limits]` on heads and idle connections).
///
/// Every response is checked against the route's OpenAPI response description: a status the route
/// does not document, or a JSON body that does not match the documented schema, makes the request
/// throw ``DocumentationMismatch`` (set `checksDocs: false` to look at such responses anyway).
///
/// ```swift
/// let host = try TestHost(plugin: Greeter.self)
/// let response = try await host.get("/api/greet/Ada")
/// #expect(response.status == 200)
/// #expect(response.json?["message"]?.stringValue == "Hello, Ada!")
/// await host.shutDown()
/// ```
public final class TestHost: Sendable {
    private let host: InProcessHost
    private let log: CapturedLog
    private let site: URL
    private let documentedResponses: DocumentedResponses?
    private let linked: LinkedType?
    /// Whether responses are checked against the routes' OpenAPI descriptions.
    public let checksDocs: Bool

    /// A host serving the plugin files at `pluginFiles` (built `.so` files), loaded as `serve`
    /// loads its plugins directory. `config` is host.toml text (`[plugins.NAME]` tables, rate
    /// limits, `[middleware] order`, …). Throws ``PluginRefused`` when a plugin is refused.
    public convenience init(pluginFiles: [String], config: String = "", checksDocs: Bool = true, logLevel: Logger.Level = .debug) throws {
        try self.init(source: .files(pluginFiles.map { URL(filePath: $0).standardizedFileURL }), linked: nil, config: config,
                      checksDocs: checksDocs, logLevel: logLevel)
    }

    /// A host serving the Swift plugin type `plugin`, linked into the test: no `.so` is needed,
    /// the loader calls its entry points directly and checks the rest as for a file.
    public convenience init(plugin: any PlugHostPlugin.Type, config: String = "", checksDocs: Bool = true, logLevel: Logger.Level = .debug) throws {
        try self.init(source: nil, linked: plugin, config: config, checksDocs: checksDocs, logLevel: logLevel)
    }

    private init(source: PluginSource?, linked: (any PlugHostPlugin.Type)?, config: String, checksDocs: Bool, logLevel: Logger.Level) throws {
        site = FileManager.default.temporaryDirectory.appending(path: "plughost-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        log = CapturedLog()
        let server: HostServer
        do {
            let configFile = site.appending(path: "host.toml")
            try config.write(to: configFile, atomically: true, encoding: .utf8)
            let hostConfig = try ConfigLoader.load(path: configFile.path)
            let logger = log.logger(level: logLevel)
            if let linked {
                server = try LinkedEntryPoints.loading(linked) { plugin in
                    try HostServer(config: hostConfig, logger: logger, plugins: .linked([plugin]), documents: DocsBuilder.build)
                }
            } else {
                server = try HostServer(config: hostConfig, logger: logger, plugins: source, documents: DocsBuilder.build)
            }
            if !server.report.failures.isEmpty {
                throw PluginRefused(failures: server.report.failures.map(\.description))
            }
        } catch {
            try? FileManager.default.removeItem(at: site)
            throw error
        }
        self.linked = linked.map(LinkedType.init)
        host = InProcessHost(server: server)
        documentedResponses = server.apiDocument.flatMap { DocumentedResponses(document: $0.json) }
        self.checksDocs = checksDocs
    }

    /// Sends a request, as a client at `client` would, and returns the response once it is
    /// complete, however late the plugin answers (up to `[server] handler_timeout`, then 504).
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = [],
                        client: String = "127.0.0.1") async throws -> TestResponse {
        let collected = try await host.send(method: method, path: path, headers: headers.map { ($0.key, $0.value) }, body: body, client: client)
        let response = TestResponse(status: collected.status, headers: collected.headers, body: collected.body)
        if checksDocs, let documentedResponses,
           let problem = documentedResponses.problem(method: method, path: path, status: response.status,
                                                   contentType: response.header("Content-Type"), body: response.body) {
            throw DocumentationMismatch(description: problem, response: response)
        }
        return response
    }

    public func get(_ path: String, headers: [String: String] = [:]) async throws -> TestResponse {
        try await request("GET", path, headers: headers)
    }

    public func post(_ path: String, json: String, headers: [String: String] = [:]) async throws -> TestResponse {
        try await request("POST", path, headers: headers.merging(["Content-Type": "application/json"]) { mine, _ in mine }, body: Array(json.utf8))
    }

    /// Makes an API key with `scopes` in the host's key file and returns it, for `X-API-Key`
    /// (or `[auth] header`). The host checks it as it checks any key.
    public func makeKey(name: String, scopes: [String] = []) throws -> String {
        let config = host.server.config
        let file = KeyFile(url: config.resolve(config.auth.keysFile))
        var keys = try file.read()
        let key = APIKey.generate()
        keys.append(StoredKey(name: name, prefix: APIKey.prefix(of: key) ?? "", sha256: APIKey.hash(key), created: Date(), expires: nil, scopes: scopes))
        try file.write(keys)
        _ = host.server.keys.reloadIfChanged(force: true)
        return key
    }

    /// The header that carries the key: `[auth] header`, `X-API-Key` by default.
    public var keyHeader: String { host.server.config.auth.header }

    /// Every line logged so far: the host's (request log, refusals, timeouts) and the plugins'.
    public var logs: [LogEntry] { log.all }

    /// The lines plugin `name` logged itself.
    public func logs(ofPlugin name: String) -> [LogEntry] { log.all.filter { $0.plugin == name } }

    /// The aggregated OpenAPI document, as `/api/openapi.json` serves it (nil with `[docs] enabled = false`).
    public var openAPIDocument: [UInt8]? { host.server.apiDocument?.json }

    /// The metrics plugin `name` recorded (`metric()` in C, `plugin.metrics` in Swift), by their
    /// exported sample name (`plugin_NAME_hits_total`, `..._bucket{le="1.0"}`, …). Metrics are
    /// the process's, like `/api/metrics`: what other hosts in this test process recorded for a
    /// plugin of the same name is counted too.
    public func metrics(ofPlugin name: String) -> [String: Double] {
        let prefix = "plugin_\(name.replacingOccurrences(of: "-", with: "_"))_"
        var samples: [String: Double] = [:]
        for line in String(decoding: HostMetrics.shared.render(), as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// Ends the host as `serve` ends: calls still running get `[server] shutdown_grace`, then each
    /// plugin's shutdown hook runs (a linked plugin's `shutdown()`).
    public func shutDown() async {
        await host.shutDown()
        linked?.type.shutdown()
        try? FileManager.default.removeItem(at: site)
    }
}

/// A plugin type linked into the test. A metatype is immutable: sharing it across threads is safe.
private struct LinkedType: @unchecked Sendable {
    let type: any PlugHostPlugin.Type
}

/// A plugin the host refused to load, with the line `serve` would log for each.
public struct PluginRefused: Error, CustomStringConvertible {
    public let failures: [String]
    public var description: String { failures.joined(separator: "\n") }
}

/// A response that differs from the route's own OpenAPI response description. The description
/// names the route, the status and the field; `response` is the response itself.
public struct DocumentationMismatch: Error, CustomStringConvertible {
    public let description: String
    public let response: TestResponse
}

