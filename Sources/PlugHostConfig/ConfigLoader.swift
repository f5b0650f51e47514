public import FoundationEssentials
import HTTPTypes
import PlugHostTOML

/// Reads and checks host.toml. Every problem is a ``ConfigError`` naming the key and its line.
public enum ConfigLoader {
    /// Loads `path`. When `path` is nil, `./host.toml` is used if it exists, else the defaults.
    public static func load(path: String?) throws(ConfigError) -> HostConfig {
        let explicit = path != nil
        let url = URL(filePath: path ?? "host.toml").standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            if explicit {
                throw ConfigError(file: url.path, line: nil, key: nil, message: "no such file; pass an existing host.toml with --config")
            }
            return HostConfig(baseDirectory: url.deletingLastPathComponent())
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: url.path, line: nil, key: nil, message: "cannot be read as UTF-8 text: \(fileErrorDescription(error))")
        }
        return try parse(text, file: url.path, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses host.toml text; `file` is used in messages only.
    public static func parse(_ text: String, file: String, baseDirectory: URL) throws(ConfigError) -> HostConfig {
        var top = try ConfigTableReader.document(text, file: file)
        let context = top.context
        var config = HostConfig(baseDirectory: baseDirectory)

        var server = try top.table("server")
        config.server.host = try server.string("host", default: config.server.host)
        if config.server.host.isEmpty { throw server.error("host", "must not be empty; use 127.0.0.1 for local only or 0.0.0.0 for every interface") }
        config.server.port = try server.int("port", default: config.server.port, in: 0...65535)
        config.server.httpPort = try server.int("http_port", default: 0, in: 0...65535)
        config.server.blockingThreads = try server.int("blocking_threads", default: config.server.blockingThreads, in: 1...1024)
        config.server.eventLoops = try server.int("event_loops", default: config.server.eventLoops, in: 0...1024)
        config.server.handlerTimeout = try server.seconds("handler_timeout", default: config.server.handlerTimeout, in: 0.001...3600)
        config.server.shutdownGrace = try server.seconds("shutdown_grace", default: config.server.shutdownGrace, in: 0...3600)
        // Read here before [limits] existed; still honoured, [limits] max_body_size wins.
        config.limits.maxBodyBytes = try server.int("max_body_size", default: config.limits.maxBodyBytes, in: 0...(1 << 34))
        config.supervisor.enabled = try server.bool("supervise", default: config.supervisor.enabled)
        config.supervisor.workers = try server.int("workers", default: config.supervisor.workers, in: 1...64)
        try server.finish()
        try readSupervisor(&top, into: &config)

        var plugins = try top.table("plugins")
        let directory = try plugins.string("dir", default: "plugins")
        config.plugins.directory = resolve(directory, against: baseDirectory)
        config.plugins.strict = try plugins.bool("strict", default: false)
        config.plugins.allowInsecurePermissions = try plugins.bool("allow_insecure_permissions", default: false)
        for name in plugins.remainingKeys {
            guard let value = plugins.take(name), var table = value.table else {
                throw plugins.error(name, "unknown key in [plugins]; it accepts dir, strict, allow_insecure_permissions, and one [plugins.NAME] table per plugin")
            }
            // `rate` in a plugin's table is the host's: a limit for all of that plugin's routes.
            // It is read here and not handed to the plugin with the rest of the table.
            var pluginTable = ConfigTableReader(table: table, path: ["plugins", name], line: value.line, context: context)
            if table["rate"] != nil {
                config.rateLimit.pluginRates[name] = try pluginTable.rates("rate", default: [])
                table.remove("rate")
            }
            // `sha256` is the host's too: the pinned content of that plugin's file.
            if table["sha256"] != nil {
                let hash = try pluginTable.string("sha256", default: "").lowercased()
                guard HexDigest.sha256(fromHex: hash) != nil else {
                    throw pluginTable.error("sha256", "expected the file's SHA-256 as 64 hex digits (plughost plugins inspect FILE prints it)")
                }
                config.plugins.pinnedHashes[name] = hash
                table.remove("sha256")
            }
            // `max_concurrency` too: how many of the blocking pool's calls the plugin may hold.
            if table["max_concurrency"] != nil {
                config.plugins.maxConcurrency[name] = try pluginTable.int("max_concurrency", default: 1, in: 1...4096)
                table.remove("max_concurrency")
            }
            config.plugins.settingsJSON[name] = table.jsonText
        }
        try plugins.finish()
        try readSecurity(&top, into: &config)
        try readRateLimit(&top, into: &config)
        var redis = try top.table("redis")
        config.redis.caFile = try redis.string("ca_file", default: "")
        try redis.finish()
        try readTLSAndStatic(&top, into: &config)
        var metrics = try top.table("metrics")
        config.metrics.enabled = try metrics.bool("enabled", default: true)
        config.metrics.authRequired = try metrics.bool("auth_required", default: true)
        try metrics.finish()
        try readDocs(&top, into: &config)
        try readLimits(&top, into: &config)
        var middleware = try top.table("middleware")
        config.middleware.order = try middleware.strings("order", default: [])
        for name in config.middleware.order where !PluginNames.isValidMiddlewareName(name) {
            throw middleware.error("order", "\"\(name)\" is not a middleware name ([a-z0-9_-]+, at most 64 bytes); `plughost plugins inspect FILE` lists a plugin's middlewares")
        }
        if let repeated = Dictionary(grouping: config.middleware.order, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw middleware.error("order", "\"\(repeated)\" is listed twice; each middleware runs once")
        }
        try middleware.finish()
        try top.finish()
        return config
    }

    private static func readSecurity(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var auth = try top.table("auth")
        config.auth.header = try auth.string("header", default: config.auth.header)
        if HTTPField.Name(config.auth.header) == nil {
            throw auth.error("header", "\"\(config.auth.header)\" is not a valid HTTP header name")
        }
        config.auth.store = try auth.string("store", default: config.auth.store)
        if config.auth.store != "file", RedisURL(config.auth.store) == nil {
            // Never echo the value: it may hold a password.
            throw auth.error("store", "expected \"file\" or a URL like \"redis://[[user]:password@]host:port/db\" or \"rediss://…\" (port 1-65535, db a number)")
        }
        config.auth.storeTimeout = try auth.seconds("store_timeout", default: config.auth.storeTimeout, in: 0.001...60)
        config.auth.keysFile = try auth.string("keys_file", default: config.auth.keysFile)
        config.auth.envFile = try auth.string("env_file", default: config.auth.envFile)
        config.auth.reloadInterval = try auth.seconds("reload_interval", default: config.auth.reloadInterval, in: 0.05...3600)
        try auth.finish()

        var headers = try top.table("security_headers")
        config.securityHeaders.hstsMaxAge = try headers.int("hsts_max_age", default: config.securityHeaders.hstsMaxAge, in: 0...(1 << 31))
        config.securityHeaders.hstsIncludeSubdomains = try headers.bool("hsts_include_subdomains", default: true)
        config.securityHeaders.contentSecurityPolicy = try headers.string("content_security_policy", default: config.securityHeaders.contentSecurityPolicy)
        config.securityHeaders.referrerPolicy = try headers.choice("referrer_policy", default: config.securityHeaders.referrerPolicy, from: [
            "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "same-origin",
            "strict-origin", "strict-origin-when-cross-origin", "unsafe-url",
        ])
        config.securityHeaders.frameOptions = try headers.choice("x_frame_options", default: config.securityHeaders.frameOptions, from: ["DENY", "SAMEORIGIN"])
        config.securityHeaders.xssProtection = try headers.choice("x_xss_protection", default: config.securityHeaders.xssProtection, from: ["0", "1", "1; mode=block"])
        try headers.finish()

        var cors = try top.table("cors")
        config.cors.enabled = try cors.bool("enabled", default: false)
        config.cors.allowOrigins = try cors.strings("allow_origins", default: [])
        for origin in config.cors.allowOrigins where origin != "*" && !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw cors.error("allow_origins", "\"\(origin)\" is not an origin; write it as scheme://host[:port], e.g. https://app.example.com, or \"*\"")
        }
        config.cors.allowCredentials = try cors.bool("allow_credentials", default: false)
        config.cors.allowMethods = try cors.strings("allow_methods", default: config.cors.allowMethods).map { $0.uppercased() }
        config.cors.allowHeaders = try cors.strings("allow_headers", default: config.cors.allowHeaders)
        config.cors.exposeHeaders = try cors.strings("expose_headers", default: [])
        config.cors.maxAge = try cors.int("max_age", default: config.cors.maxAge, in: 0...86_400)
        try cors.finish()

        var logging = try top.table("logging")
        config.logging.level = try logging.choice("level", default: "info", from: ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        config.logging.format = LoggingSettings.Format(rawValue: try logging.choice("format", default: "text", from: ["text", "json"])) ?? .text
        config.logging.file = try logging.string("file", default: config.logging.file)
        config.logging.maxFileSize = try logging.int("max_file_size", default: config.logging.maxFileSize, in: 4096...(1 << 40))
        config.logging.maxFiles = try logging.int("max_files", default: config.logging.maxFiles, in: 0...1000)
        config.logging.queueSize = try logging.int("queue_size", default: config.logging.queueSize, in: 4096...(1 << 30))
        config.logging.trustedProxies = try logging.strings("trusted_proxies", default: [])
        for proxy in config.logging.trustedProxies where IPRange(proxy) == nil {
            throw logging.error("trusted_proxies", "\"\(proxy)\" is neither an IP address nor a CIDR range like 10.0.0.0/8")
        }
        config.logging.sensitiveQueryParameters = try logging.strings("sensitive_query_params", default: config.logging.sensitiveQueryParameters)
        try logging.finish()
    }

    private static func readRateLimit(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var limits = try top.table("rate_limit")
        config.rateLimit.enabled = try limits.bool("enabled", default: true)
        config.rateLimit.rates = try limits.rates("rate", default: config.rateLimit.rates)
        config.rateLimit.key = RateLimitSettings.KeyMode(rawValue: try limits.choice("key", default: "api_key_or_ip", from: ["ip", "api_key", "api_key_or_ip"]))!
        config.rateLimit.store = try limits.string("store", default: "memory")
        if config.rateLimit.store != "memory", RedisURL(config.rateLimit.store) == nil {
            // Never echo the value: it may hold a password.
            throw limits.error("store", "expected \"memory\" or a URL like \"redis://[[user]:password@]host:port/db\" or \"rediss://…\" (port 1-65535, db a number)")
        }
        config.rateLimit.onStoreError = RateLimitSettings.StoreErrorPolicy(rawValue: try limits.choice("on_store_error", default: "allow", from: ["allow", "deny"]))!
        config.rateLimit.legacyHeaders = try limits.bool("legacy_headers", default: false)
        config.rateLimit.maxClients = try limits.int("max_clients", default: config.rateLimit.maxClients, in: 1...100_000_000)
        config.rateLimit.storeTimeout = try limits.seconds("store_timeout", default: config.rateLimit.storeTimeout, in: 0.001...60)
        var routes = try limits.table("routes")
        for route in routes.remainingKeys {
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, PluginNames.routeMethods.contains(String(parts[0])), parts[1] == "/api" || parts[1].hasPrefix("/api/") else {
                throw routes.error(route, "route keys are \"METHOD /api/path\" as served, e.g. \"GET /api/hello/{name}\"")
            }
            config.rateLimit.routeRates[route] = try routes.rates(route, default: [])
        }
        try routes.finish()
        try limits.finish()
    }

    private static func readTLSAndStatic(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var tls = try top.table("tls")
        config.tls.enabled = try tls.bool("enabled", default: true)
        config.tls.certFile = try tls.string("cert_file", default: config.tls.certFile)
        config.tls.keyFile = try tls.string("key_file", default: config.tls.keyFile)
        config.tls.daysValid = try tls.int("days_valid", default: 365, in: 1...3650)
        config.tls.names = try tls.strings("names", default: [])
        config.tls.minimumVersion = try tls.choice("min_version", default: "1.2", from: ["1.2", "1.3"])
        try tls.finish()
        if config.server.httpPort != 0, !config.tls.enabled {
            throw top.error("server", "http_port redirects plain HTTP to HTTPS, so it needs [tls] enabled = true; remove http_port or enable TLS")
        }

        var files = try top.table("static")
        config.staticFiles.enabled = try files.bool("enabled", default: true)
        config.staticFiles.directory = try files.string("dir", default: config.staticFiles.directory)
        config.staticFiles.cacheControl = try files.string("cache_control", default: config.staticFiles.cacheControl)
        config.staticFiles.spa = try files.bool("spa", default: false)
        try files.finish()
    }

    private static func readSupervisor(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var supervisor = try top.table("supervisor")
        var settings = config.supervisor
        settings.crashLimit = try supervisor.int("crash_limit", default: settings.crashLimit, in: 1...1000)
        settings.crashWindow = try supervisor.seconds("crash_window", default: settings.crashWindow, in: 1...86400)
        settings.startTimeout = try supervisor.seconds("start_timeout", default: settings.startTimeout, in: 1...3600)
        settings.maxRestartDelay = try supervisor.seconds("max_restart_delay", default: settings.maxRestartDelay, in: 1...3600)
        settings.controlSocket = try supervisor.string("control_socket", default: settings.controlSocket)
        // sockaddr_un holds 107 bytes of path; say so here rather than fail to bind later.
        if settings.controlSocket.hasPrefix("/"), settings.controlSocket.utf8.count > 107 {
            throw supervisor.error("control_socket", "is longer than the 107 bytes a Unix socket path may have; choose a shorter path")
        }
        try supervisor.finish()
        config.supervisor = settings
    }

    private static func readLimits(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var limits = try top.table("limits")
        config.limits.maxBodyBytes = try limits.int("max_body_size", default: config.limits.maxBodyBytes, in: 0...(1 << 34))
        config.limits.maxRouteBodyBytes = try limits.int("max_route_body_size", default: config.limits.maxRouteBodyBytes, in: 0...(1 << 36))
        config.limits.maxHeaderBytes = try limits.int("max_header_size", default: config.limits.maxHeaderBytes, in: 1024...(1 << 20))
        config.limits.maxHeaderCount = try limits.int("max_header_count", default: config.limits.maxHeaderCount, in: 8...10_000)
        config.limits.maxURILength = try limits.int("max_uri_length", default: config.limits.maxURILength, in: 256...(1 << 20))
        config.limits.maxConnections = try limits.int("max_connections", default: config.limits.maxConnections, in: 1...1_000_000)
        config.limits.maxConnectionsPerClient = try limits.int(
            "max_connections_per_client", default: min(LimitSettings.defaultMaxConnectionsPerClient, config.limits.maxConnections), in: 1...1_000_000)
        if config.limits.maxConnectionsPerClient > config.limits.maxConnections {
            throw limits.error("max_connections_per_client", "is \(config.limits.maxConnectionsPerClient), more than max_connections (\(config.limits.maxConnections)); one address can never hold more than the whole server: set it to at most \(config.limits.maxConnections)")
        }
        config.limits.requestHeadTimeout = try limits.seconds("request_head_timeout", default: config.limits.requestHeadTimeout, in: 0.1...3600)
        config.limits.idleTimeout = try limits.seconds("idle_timeout", default: config.limits.idleTimeout, in: 0.1...86_400)
        config.limits.requestReadTimeout = try limits.seconds("request_read_timeout", default: config.limits.requestReadTimeout, in: 0.1...86_400)
        config.limits.sendTimeout = try limits.seconds("send_timeout", default: config.limits.sendTimeout, in: 0.1...86_400)
        try limits.finish()
    }

    private static func readDocs(_ top: inout ConfigTableReader, into config: inout HostConfig) throws(ConfigError) {
        var docs = try top.table("docs")
        config.docs.enabled = try docs.bool("enabled", default: true)
        config.docs.title = try docs.string("title", default: config.docs.title)
        config.docs.version = try docs.string("version", default: config.docs.version)
        config.docs.description = try docs.string("description", default: config.docs.description)
        for (key, keyPath) in [("swagger_js_url", \DocsSettings.swaggerJSURL), ("swagger_css_url", \.swaggerCSSURL), ("redoc_js_url", \.redocJSURL)] {
            let url = try docs.string(key, default: config.docs[keyPath: keyPath])
            guard DocsAssetURL(url) != nil else {
                throw docs.error(key, "expected an https:// (or http://) URL, or a path on this server starting with / (e.g. a file under static/)")
            }
            config.docs[keyPath: keyPath] = url
        }
        try docs.finish()
    }

    /// Resolves a path from host.toml: absolute as it is, relative against the config file's directory.
    public static func resolve(_ path: String, against base: URL) -> URL {
        path.hasPrefix("/") ? URL(filePath: path).standardizedFileURL : base.appending(path: path).standardizedFileURL
    }
}
