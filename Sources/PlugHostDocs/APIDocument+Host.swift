public import PlugHostConfig
public import PlugHostPlugins

extension APIDocument {
    /// A route as the rate limiter sees it, to ask whether a policy applies.
    public struct LimitQuestion: Sendable {
        public let method: String
        public let servedPath: String
        public let plugin: String?
        public let limited: Bool
        public let cost: Int
    }

    /// The document for this configuration and these plugins: the built-in routes, then each
    /// plugin's. `rateLimited` says whether a policy applies to a route (the server asks its
    /// limiter; `plughost check` the configuration).
    public static func make(config: HostConfig, report: PluginLoadReport, rateLimited: (LimitQuestion) -> Bool) -> APIDocument {
        var builder = APIDocumentBuilder(settings: config.docs, authHeader: config.auth.header)
        let storeOutageRefuses = config.rateLimit.store != "memory" && config.rateLimit.onStoreError == .deny
        for route in BuiltinRoutes.served(config) where route.guarded {
            let limited = rateLimited(LimitQuestion(method: route.method, servedPath: route.path, plugin: nil, limited: route.limited, cost: 1))
            builder.addHostRoute(method: route.method, path: route.path, operation: BuiltinOperations.operation(for: route),
                                 enforcement: .init(requiresAuth: route.requiresAuth, rateLimited: limited, storeOutageRefuses: storeOutageRefuses))
        }
        for plugin in report.loaded {
            builder.addPlugin(plugin) { route in
                let limited = rateLimited(LimitQuestion(method: route.method, servedPath: route.servedPath, plugin: route.pluginName,
                                                        limited: route.isRateLimited, cost: route.rateCost))
                return .init(requiresAuth: route.requiresAuth, scope: route.requiredScope, rateLimited: limited,
                             storeOutageRefuses: storeOutageRefuses, pluginHandler: true)
            }
        }
        return builder.build()
    }
}
