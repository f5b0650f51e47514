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

    static func add(to router: Router<HostRequestContext>, gate: RouteGate, inventory: Inventory) {
        let catalog = catalog(inventory.config)
        func rules(_ path: String) -> RouteGate.Rules { catalog.first { $0.path == path }!.rules(gate) }
        router.get("/api/health") { _, context in
            context.trace.route = "/api/health"
            return StatusMessage(message: "PlugHost is running.", timestamp: Date())
        }
        addOperatorRoutes(to: router, gate: gate, inventory: inventory, rules: rules)
        let login = rules("/api/login")
        router.get("/api/login") { request, context -> Response in
            context.trace.route = "/api/login"
            switch try await gate.admit(request, context: context, rules: login) {
            case .refused(let response):
                return response
            case .admitted(_, let headers):
                var response = try StatusMessage(message: "Login successful.", timestamp: Date()).response(from: request, context: context)
                response.headers.append(contentsOf: headers)
                return response
            }
        }
    }
}

extension BuiltinRoutes {
    /// `/api/metrics` (Prometheus text; auth per `[metrics] auth_required`), `/api/plugins` and
    /// `/api/config` (always behind a key: they tell an attacker what runs where).
    private static func addOperatorRoutes(to router: Router<HostRequestContext>, gate: RouteGate, inventory: Inventory,
                                          rules: (String) -> RouteGate.Rules) {
        let plugins = json(PluginInventory(report: inventory.report))
        let config = json(EffectiveConfig(inventory.config))
        if inventory.config.metrics.enabled {
            let rules = rules("/api/metrics")
            router.get("/api/metrics") { request, context -> Response in
                context.trace.route = "/api/metrics"
                if case .refused(let response) = try await gate.admit(request, context: context, rules: rules) { return response }
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: HostMetrics.shared.render())))
            }
        }
        for (path, body) in [("/api/plugins", plugins), ("/api/config", config)] {
            let rules = rules(path)
            router.get(RouterPath(path)) { request, context -> Response in
                context.trace.route = path
                switch try await gate.admit(request, context: context, rules: rules) {
                case .refused(let response):
                    return response
                case .admitted(_, let headers):
                    var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
                    response.headers.append(contentsOf: headers)
                    return response
                }
            }
        }
    }

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
