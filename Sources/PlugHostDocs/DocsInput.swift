/// Everything the OpenAPI document is made of, as plain values: the host's routes and each
/// loaded plugin's, with what the host enforces on each. A worker hands this to
/// `plughost docs-build` (the OpenAPI library needs full Foundation, which a worker does not
/// link: docs/ARCHITECTURE.md); the single process and `plughost check` build it in process.
public struct DocsInput: Sendable, Codable, Equatable {
    /// The document's `info` (`[docs]`).
    public struct Info: Sendable, Codable, Equatable {
        public var title: String
        public var version: String
        public var description: String

        public init(title: String, version: String, description: String) {
            self.title = title
            self.version = version
            self.description = description
        }
    }

    /// What the host may do to one route before or instead of its handler.
    public struct Enforcement: Sendable, Codable, Equatable {
        public var requiresAuth = false
        public var scope: String?
        public var rateLimited = false
        /// `[rate_limit] on_store_error = "deny"`: a store outage answers 503.
        public var storeOutageRefuses = false
        /// A plugin route: the host reads the body of any method (413 past max_body_size) and
        /// times the handler out (504).
        public var pluginHandler = false

        public init(requiresAuth: Bool = false, scope: String? = nil, rateLimited: Bool = false,
                    storeOutageRefuses: Bool = false, pluginHandler: Bool = false) {
            self.requiresAuth = requiresAuth
            self.scope = scope
            self.rateLimited = rateLimited
            self.storeOutageRefuses = storeOutageRefuses
            self.pluginHandler = pluginHandler
        }
    }

    /// A built-in route the document describes.
    public struct HostRoute: Sendable, Codable, Equatable {
        /// `BuiltinRoute.Kind`'s raw value: what the builder describes it with.
        public var kind: String
        public var method: String
        public var path: String
        public var enforcement: Enforcement

        public init(kind: String, method: String, path: String, enforcement: Enforcement) {
            self.kind = kind
            self.method = method
            self.path = path
            self.enforcement = enforcement
        }
    }

    /// One route of a plugin.
    public struct Route: Sendable, Codable, Equatable {
        public var method: String
        public var servedPath: String
        /// The `{name}`s of its path template, in order.
        public var parameterNames: [String]
        /// The plugin's OpenAPI operation object, as it gave it; nil when it gave none.
        public var openAPIJSON: String?
        public var enforcement: Enforcement

        public init(method: String, servedPath: String, parameterNames: [String], openAPIJSON: String?, enforcement: Enforcement) {
            self.method = method
            self.servedPath = servedPath
            self.parameterNames = parameterNames
            self.openAPIJSON = openAPIJSON
            self.enforcement = enforcement
        }
    }

    public struct Plugin: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        public var description: String
        public var file: String
        /// The plugin's components object, as it gave it.
        public var openAPIComponents: String?
        /// Why the plugin's components were refused at registration.
        public var openAPIComponentsProblem: String?
        public var routes: [Route]

        public init(name: String, version: String, description: String, file: String, openAPIComponents: String?,
                    openAPIComponentsProblem: String?, routes: [Route]) {
            self.name = name
            self.version = version
            self.description = description
            self.file = file
            self.openAPIComponents = openAPIComponents
            self.openAPIComponentsProblem = openAPIComponentsProblem
            self.routes = routes
        }
    }

    public var info: Info
    /// `[auth] header`: the security scheme's header.
    public var authHeader: String
    public var hostRoutes: [HostRoute]
    public var plugins: [Plugin]

    public init(info: Info, authHeader: String, hostRoutes: [HostRoute], plugins: [Plugin]) {
        self.info = info
        self.authHeader = authHeader
        self.hostRoutes = hostRoutes
        self.plugins = plugins
    }
}
