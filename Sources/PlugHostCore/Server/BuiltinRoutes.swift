import Foundation
import Hummingbird

/// Routes the host serves itself, whatever plugins are loaded.
enum BuiltinRoutes {
    /// Claimed in the route registry so no plugin can shadow them.
    static let claimed: [(method: String, path: String)] = [
        ("GET", "/health"), ("GET", "/login"), ("GET", "/metrics"), ("GET", "/plugins"), ("GET", "/config"),
        ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc"),
    ]

    /// How one built-in API route is guarded: one table for the router and the docs.
    struct Guarded: Sendable {
        let path: String
        let requiresAuth: Bool
        let limited: Bool

        func rules(_ gate: RouteGate) -> RouteGate.Rules {
            gate.rules(method: "GET", servedPath: path, plugin: nil, requiresAuth: requiresAuth, scope: nil, limited: limited, cost: 1)
        }
    }

    /// Every built-in API route that is served with this configuration (the docs pages aside).
    static func catalog(_ config: HostConfig) -> [Guarded] {
        // /health: open and unlimited, like the seed's: load balancers poll it.
        // /login: the seed's way for a client to check its key; limited, which slows key guessing.
        // /plugins, /config: always behind a key, they tell an attacker what runs where.
        var routes = [
            Guarded(path: "/api/health", requiresAuth: false, limited: false),
            Guarded(path: "/api/login", requiresAuth: true, limited: true),
        ]
        if config.metrics.enabled {
            routes.append(Guarded(path: "/api/metrics", requiresAuth: config.metrics.authRequired, limited: false))
        }
        routes.append(Guarded(path: "/api/plugins", requiresAuth: true, limited: true))
        routes.append(Guarded(path: "/api/config", requiresAuth: true, limited: true))
        return routes
    }

    /// What the operator routes show: the configuration and the outcome of loading plugins.
    struct Inventory: Sendable {
        let config: HostConfig
        let report: PluginLoadReport
    }

    static func add(to router: Router<HostRequestContext>, pipeline: RoutePipeline, inventory: Inventory) {
        let plugins = json(PluginInventory(report: inventory.report, middlewareOrder: pipeline.chain.ordered.map(\.name)))
        let config = json(EffectiveConfig(inventory.config))
        for entry in catalog(inventory.config) {
            let rules = entry.rules(pipeline.gate)
            let answer: @Sendable (Request, HostRequestContext) throws -> Response = switch entry.path {
            case "/api/health": { request, context in
                try StatusMessage(message: "PlugHost is running.", timestamp: Date()).response(from: request, context: context)
            }
            case "/api/login": { request, context in
                try StatusMessage(message: "Login successful.", timestamp: Date()).response(from: request, context: context)
            }
            case "/api/metrics": { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(bytes: HostMetrics.shared.render())))
            }
            default: { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"],
                         body: .init(byteBuffer: ByteBuffer(bytes: entry.path == "/api/plugins" ? plugins : config)))
            }
            }
            serve(entry.path, on: router, pipeline: pipeline, rules: rules) { request, context, _ in try answer(request, context) }
        }
    }

    /// Registers `GET path` to run through the pipeline (gate, middlewares) before `answer`.
    static func serve(_ path: String, on router: Router<HostRequestContext>, pipeline: RoutePipeline, rules: RouteGate.Rules?,
                      _ answer: @escaping @Sendable (Request, HostRequestContext, String?) async throws -> Response) {
        // Built-in paths are literal, valid templates.
        let route = RoutePipeline.Route(rules: rules, plugin: nil, method: "GET", servedPath: path, template: try! PathTemplate(path))
        router.get(RouterPath(path)) { request, context -> Response in
            context.trace.route = path
            return try await pipeline.serve(request, context: context, route: route) { request, keyName in
                try await answer(request, context, keyName)
            }
        }
    }
}

extension BuiltinRoutes {
    /// Encoded once at start: both documents are fixed for the life of the process.
    private static func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}

/// The seed's BaseResponse: a message and when it was made.
struct StatusMessage: ResponseEncodable {
    let message: String
    let timestamp: Date
}
