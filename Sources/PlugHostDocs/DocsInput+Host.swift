public import PlugHostConfig
public import PlugHostPlugins

extension DocsInput {
    /// A route as the rate limiter sees it, to ask whether a policy applies.
    public struct LimitQuestion: Sendable {
        public let method: String
        public let servedPath: String
        public let plugin: String?
        public let limited: Bool
        public let cost: Int
    }

    /// What the document for this configuration and these plugins is made of: the built-in
    /// routes, then each plugin's. `rateLimited` says whether a policy applies to a route (the
    /// server asks its limiter; `plughost check` the configuration).
    public static func make(config: HostConfig, report: PluginLoadReport, rateLimited: (LimitQuestion) -> Bool) -> DocsInput {
        let storeOutageRefuses = config.rateLimit.store != "memory" && config.rateLimit.onStoreError == .deny
        let hostRoutes = BuiltinRoutes.served(config).filter(\.guarded).map { route in
            let limited = rateLimited(LimitQuestion(method: route.method, servedPath: route.path, plugin: nil, limited: route.limited, cost: 1))
            return HostRoute(kind: route.kind.rawValue, method: route.method, path: route.path,
                             enforcement: Enforcement(requiresAuth: route.requiresAuth, rateLimited: limited, storeOutageRefuses: storeOutageRefuses))
        }
        let plugins = report.loaded.map { plugin in
            Plugin(name: plugin.name, version: plugin.version, description: plugin.description, file: plugin.file,
                   openAPIComponents: plugin.openAPIComponents, openAPIComponentsProblem: plugin.openAPIComponentsProblem,
                   routes: plugin.routes.map { route in
                       let limited = rateLimited(LimitQuestion(method: route.method, servedPath: route.servedPath, plugin: route.pluginName,
                                                               limited: route.isRateLimited, cost: route.rateCost))
                       return Route(method: route.method, servedPath: route.servedPath, parameterNames: route.template.parameterNames,
                                    openAPIJSON: route.openAPIJSON,
                                    enforcement: Enforcement(requiresAuth: route.requiresAuth, scope: route.requiredScope, rateLimited: limited,
                                                             storeOutageRefuses: storeOutageRefuses, pluginHandler: true))
                   })
        }
        return DocsInput(info: Info(title: config.docs.title, version: config.docs.version, description: config.docs.description),
                         authHeader: config.auth.header, hostRoutes: hostRoutes, plugins: plugins)
    }
}
