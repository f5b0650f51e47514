/// One route the host serves itself, whatever plugins are loaded.
package struct BuiltinRoute: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case health, login, metrics, plugins, config
        case openAPIDocument, swaggerUI, redoc
    }

    package let kind: Kind
    /// The path as served, e.g. `/api/health`.
    package let path: String
    /// Whether the gate asks for an API key.
    package let requiresAuth: Bool
    /// Whether the rate limit applies (a policy must also cover it).
    package let limited: Bool
    /// Whether the gate (rate limit, key) checks it at all. The docs pages are open and unlimited,
    /// like the static files, and are not themselves described in the OpenAPI document.
    package let guarded: Bool

    package var method: String { "GET" }

    /// The path below `/api`, as a plugin would register it: what the route registry claims.
    package var pathBelowAPI: String { String(path.dropFirst("/api".count)) }
}

/// The one table of built-in routes. The router, the OpenAPI document, the 405 check, the route
/// registry (no plugin may take one of these) and the start-up warnings all derive from it.
package enum BuiltinRoutes {
    /// Every built-in route whatever the configuration: claimed in the registry even when off, so
    /// that turning metrics or docs on never collides with a plugin.
    package static let all: [BuiltinRoute] = BuiltinRoute.Kind.allCases.map { route($0, metricsNeedKey: true) }

    /// The built-in routes served with `config`, in the order the docs list them.
    package static func served(_ config: HostConfig) -> [BuiltinRoute] {
        BuiltinRoute.Kind.allCases.filter { kind in
            switch kind {
            case .metrics: config.metrics.enabled
            case .openAPIDocument, .swaggerUI, .redoc: config.docs.enabled
            default: true
            }
        }.map { route($0, metricsNeedKey: config.metrics.authRequired) }
    }

    /// The path a kind is served at.
    package static func path(_ kind: BuiltinRoute.Kind) -> String {
        switch kind {
        case .health: "/api/health"
        case .login: "/api/login"
        case .metrics: "/api/metrics"
        case .plugins: "/api/plugins"
        case .config: "/api/config"
        case .openAPIDocument: "/api/openapi.json"
        case .swaggerUI: "/api/docs"
        case .redoc: "/api/redoc"
        }
    }

    private static func route(_ kind: BuiltinRoute.Kind, metricsNeedKey: Bool) -> BuiltinRoute {
        let path = path(kind)
        return switch kind {
        // /health: open and unlimited, like the seed's: load balancers poll it.
        case .health: BuiltinRoute(kind: kind, path: path, requiresAuth: false, limited: false, guarded: true)
        // /login: the seed's way for a client to check its key; limited, which slows key guessing.
        case .login: BuiltinRoute(kind: kind, path: path, requiresAuth: true, limited: true, guarded: true)
        case .metrics: BuiltinRoute(kind: kind, path: path, requiresAuth: metricsNeedKey, limited: false, guarded: true)
        // /plugins, /config: always behind a key, they tell an attacker what runs where.
        case .plugins, .config: BuiltinRoute(kind: kind, path: path, requiresAuth: true, limited: true, guarded: true)
        case .openAPIDocument, .swaggerUI, .redoc: BuiltinRoute(kind: kind, path: path, requiresAuth: false, limited: false, guarded: false)
        }
    }
}
