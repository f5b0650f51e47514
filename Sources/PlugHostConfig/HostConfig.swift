public import FoundationEssentials

/// The host's configuration after defaults, host.toml and command-line overrides.
public struct HostConfig: Sendable {
    public var server = ServerSettings()
    public var plugins = PluginSettings()
    public var auth = AuthSettings()
    public var securityHeaders = SecurityHeaderSettings()
    public var cors = CORSSettings()
    public var logging = LoggingSettings()
    public var rateLimit = RateLimitSettings()
    public var tls = TLSSettings()
    public var staticFiles = StaticSettings()
    public var metrics = MetricsSettings()
    public var docs = DocsSettings()
    public var middleware = MiddlewareSettings()
    public var limits = LimitSettings()
    public var supervisor = SupervisorSettings()
    public var redis = RedisSettings()
    /// The directory relative paths in host.toml resolve against: the config file's own directory.
    public var baseDirectory: URL

    /// A path from host.toml, resolved against ``baseDirectory``.
    public func resolve(_ path: String) -> URL { ConfigLoader.resolve(path, against: baseDirectory) }

    /// The CA file `rediss://` connections verify against, resolved; nil for the system's trust store.
    package var redisCAFile: URL? { redis.caFile.isEmpty ? nil : resolve(redis.caFile) }

    public init(baseDirectory: URL) {
        self.baseDirectory = baseDirectory
        self.plugins.directory = baseDirectory.appending(path: "plugins")
    }
}

/// `[server]`
public struct ServerSettings: Sendable {
    /// Address to bind; `0.0.0.0` or `::` for every interface.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (the log says which). 443 as in the seed: HTTPS by default.
    public var port = 443
    /// A plain-HTTP port that redirects to HTTPS; 0 is off.
    public var httpPort = 0
    /// Threads for handlers that may block (routes without the non-blocking flag).
    public var blockingThreads = 32
    /// Event loops serving the connections; 0 (the default) is one per core
    /// (`EventLoopCount` in PlugHostServer says why).
    public var eventLoops = 0
    /// Seconds a handler has to answer before the host answers 504 itself.
    public var handlerTimeout: Double = 30
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT before the host stops anyway.
    public var shutdownGrace: Double = 10
}

/// `[middleware]`
public struct MiddlewareSettings: Sendable {
    /// Middleware names in the order they run; unlisted ones run after, by plugin name.
    public var order: [String] = []
}

/// `[plugins]`
public struct PluginSettings: Sendable {
    /// Where `*.so` plugins are loaded from.
    public var directory = URL(filePath: "plugins")
    /// When true, any plugin that cannot be loaded stops the host at start.
    public var strict = false
    /// Load plugin files even if others could write them (development only).
    public var allowInsecurePermissions = false
    /// `[plugins.NAME] sha256`: the only file content each named plugin may have.
    public var pinnedHashes: [String: String] = [:]
    /// Files the supervisor will not let this worker load (not read from host.toml).
    public var quarantined: [QuarantinedPlugin] = []
    /// Worker crashes the supervisor has attributed so far, by plugin name (`unknown` for those
    /// no plugin explains): what this worker's `plughost_plugin_crashes_total` starts from
    /// (not read from host.toml).
    public var crashes: [String: Int] = [:]
    /// `[plugins.NAME] max_concurrency`: the most blocking calls (running or waiting for a
    /// thread) each named plugin may have; see ``blockingShare(of:blockingThreads:)``.
    public var maxConcurrency: [String: Int] = [:]
    /// Each `[plugins.NAME]` table as a JSON object, keyed by plugin name.
    public var settingsJSON: [String: String] = [:]

    /// How many blocking calls the plugin named `name` may have at once: its
    /// `max_concurrency`, else three quarters of the pool, so that a plugin whose handlers hang
    /// leaves a quarter of the threads to the others (all of a pool of 1-3 threads).
    public func blockingShare(of name: String, blockingThreads: Int) -> Int {
        maxConcurrency[name] ?? max(1, blockingThreads - blockingThreads / 4)
    }

    /// The JSON handed to the plugin named `name` at registration.
    public func json(for name: String) -> String { settingsJSON[name] ?? "{}" }
}
