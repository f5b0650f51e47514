import FoundationEssentials
import Glibc
import PlugHostConfig

/// `GET /api/config`: the configuration in force after defaults, host.toml and command-line
/// overrides, with every secret redacted.
///
/// Key hashes are not part of the configuration at all; a Redis password becomes `***`; TLS key
/// material is named by path only; values in plugin tables whose key looks secret become `***`.
struct EffectiveConfig: Encodable, Sendable {
    let server: [String: JSONScalar]
    let tls: [String: JSONScalar]
    let plugins: [String: JSONScalar]
    let pluginSettings: [String: JSONScalar]
    let auth: [String: JSONScalar]
    let securityHeaders: [String: JSONScalar]
    let cors: [String: JSONScalar]
    let logging: [String: JSONScalar]
    let rateLimit: [String: JSONScalar]
    let staticFiles: [String: JSONScalar]
    let metrics: [String: JSONScalar]
    let limits: [String: JSONScalar]
    let middleware: [String: JSONScalar]
    let supervisor: [String: JSONScalar]
    let redis: [String: JSONScalar]

    static let secretWords = ["password", "secret", "token", "key", "credential", "private"]

    init(_ config: HostConfig) {
        server = ["host": .string(config.server.host), "port": .int(config.server.port), "http_port": .int(config.server.httpPort),
                  "blocking_threads": .int(config.server.blockingThreads), "handler_timeout": .double(config.server.handlerTimeout),
                  "shutdown_grace": .double(config.server.shutdownGrace), "supervise": .bool(config.supervisor.enabled),
                  "workers": .int(config.supervisor.workers)]
        supervisor = ["crash_limit": .int(config.supervisor.crashLimit), "crash_window": .double(config.supervisor.crashWindow),
                      "max_restart_delay": .double(config.supervisor.maxRestartDelay), "start_timeout": .double(config.supervisor.startTimeout),
                      "control_socket": .string(config.supervisor.controlSocket.isEmpty ? "" : config.resolve(config.supervisor.controlSocket).path)]
        middleware = ["order": .strings(config.middleware.order)]
        limits = ["max_body_size": .int(config.limits.maxBodyBytes), "max_route_body_size": .int(config.limits.maxRouteBodyBytes),
                  "max_header_size": .int(config.limits.maxHeaderBytes), "max_header_count": .int(config.limits.maxHeaderCount),
                  "max_uri_length": .int(config.limits.maxURILength), "max_connections": .int(config.limits.maxConnections),
                  "max_connections_per_client": .int(config.limits.maxConnectionsPerClient),
                  "request_head_timeout": .double(config.limits.requestHeadTimeout), "idle_timeout": .double(config.limits.idleTimeout),
                  "request_read_timeout": .double(config.limits.requestReadTimeout),
                  "send_timeout": .double(config.limits.sendTimeout)]
        tls = ["enabled": .bool(config.tls.enabled), "cert_file": .string(config.resolve(config.tls.certFile).path),
               "key_file": .string(config.resolve(config.tls.keyFile).path), "days_valid": .int(config.tls.daysValid),
               "names": .strings(config.tls.names), "min_version": .string(config.tls.minimumVersion)]
        plugins = ["dir": .string(config.plugins.directory.path), "strict": .bool(config.plugins.strict)]
        var settings: [String: JSONScalar] = [:]
        for (name, json) in config.plugins.settingsJSON {
            settings[name] = .json(Self.redactedJSON(json))
        }
        pluginSettings = settings
        auth = ["header": .string(config.auth.header), "store": .string(config.auth.redisStore?.redacted ?? config.auth.store),
                "store_timeout": .double(config.auth.storeTimeout), "keys_file": .string(config.resolve(config.auth.keysFile).path),
                "env_file": .string(config.resolve(config.auth.envFile).path), "reload_interval": .double(config.auth.reloadInterval)]
        securityHeaders = ["hsts_max_age": .int(config.securityHeaders.hstsMaxAge), "hsts_include_subdomains": .bool(config.securityHeaders.hstsIncludeSubdomains),
                           "content_security_policy": .string(config.securityHeaders.contentSecurityPolicy),
                           "referrer_policy": .string(config.securityHeaders.referrerPolicy),
                           "x_frame_options": .string(config.securityHeaders.frameOptions), "x_xss_protection": .string(config.securityHeaders.xssProtection)]
        cors = ["enabled": .bool(config.cors.enabled), "allow_origins": .strings(config.cors.allowOrigins),
                "allow_credentials": .bool(config.cors.allowCredentials), "allow_methods": .strings(config.cors.allowMethods),
                "allow_headers": .strings(config.cors.allowHeaders), "expose_headers": .strings(config.cors.exposeHeaders), "max_age": .int(config.cors.maxAge)]
        logging = ["level": .string(config.logging.level), "format": .string(config.logging.format.rawValue),
                   "file": .string(config.logging.file.isEmpty ? "" : config.resolve(config.logging.file).path),
                   "max_file_size": .int(config.logging.maxFileSize), "max_files": .int(config.logging.maxFiles),
                   "queue_size": .int(config.logging.queueSize),
                   "trusted_proxies": .strings(config.logging.trustedProxies), "sensitive_query_params": .strings(config.logging.sensitiveQueryParameters)]
        rateLimit = ["enabled": .bool(config.rateLimit.enabled), "rate": .strings(config.rateLimit.rates.map(\.text)),
                     "key": .string(config.rateLimit.key.rawValue),
                     "store": .string(RedisURL(config.rateLimit.store)?.redacted ?? config.rateLimit.store),
                     "on_store_error": .string(config.rateLimit.onStoreError.rawValue), "legacy_headers": .bool(config.rateLimit.legacyHeaders),
                     "max_clients": .int(config.rateLimit.maxClients), "store_timeout": .double(config.rateLimit.storeTimeout),
                     "routes": .json(.object(config.rateLimit.routeRates.mapValues { .array($0.map { .string($0.text) }) })),
                     "plugins": .json(.object(config.rateLimit.pluginRates.mapValues { .array($0.map { .string($0.text) }) }))]
        staticFiles = ["enabled": .bool(config.staticFiles.enabled), "dir": .string(config.resolve(config.staticFiles.directory).path),
                       "cache_control": .string(config.staticFiles.cacheControl), "spa": .bool(config.staticFiles.spa)]
        metrics = ["enabled": .bool(config.metrics.enabled), "auth_required": .bool(config.metrics.authRequired)]
        redis = ["ca_file": .string(config.redisCAFile?.path ?? "")]
    }

    /// A plugin table with the values of secret-looking keys replaced, at any depth.
    static func redactedJSON(_ json: String) -> JSONValue {
        JSONValue.parse(json.utf8).map(redact) ?? .object([:])
    }

    private static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var copy: [String: JSONValue] = [:]
            for (key, inner) in members {
                let lowered = key.lowercased()
                copy[key] = secretWords.contains(where: lowered.contains) ? .string("***") : redact(inner)
            }
            return .object(copy)
        case .array(let items):
            return .array(items.map(redact))
        default:
            return value
        }
    }
}

/// A value in the effective-config document.
enum JSONScalar: Encodable, Sendable {
    case string(String), int(Int), double(Double), bool(Bool), strings([String])
    case json(JSONValue)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .json(let value): try container.encode(value)
        }
    }
}

