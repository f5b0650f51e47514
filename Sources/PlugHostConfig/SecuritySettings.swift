/// `[auth]`: where API keys come from and how clients send them.
public struct AuthSettings: Sendable {
    /// Request header carrying the key.
    public var header = "X-API-Key"
    /// Where the keys live: `"file"` (the key file below), or a `redis://` / `rediss://` URL
    /// shared by every host of a fleet.
    public var store = "file"
    /// The key file (`plughost keys` manages it): names, prefixes and SHA-256 hashes, never keys.
    public var keysFile = "keys.toml"
    /// A dotenv file that may set `API_TOKEN_HASH` (the seed's form); read if it exists.
    public var envFile = ".env"
    /// Seconds between checks of the key file, or of the Redis store, for changes (SIGHUP
    /// reloads at once too).
    public var reloadInterval: Double = 0.5
    /// Redis store only: seconds to wait for each step (connection, AUTH, each command).
    public var storeTimeout: Double = 1

    /// The Redis store's URL; nil when the keys live in the key file.
    package var redisStore: RedisURL? { store == "file" ? nil : RedisURL(store) }
}

/// `[redis]`: what every Redis connection shares (the rate-limit store's and the key store's).
public struct RedisSettings: Sendable {
    /// PEM file of the CA certificate(s) a `rediss://` server's certificate must chain to; empty:
    /// the system's trust store.
    public var caFile = ""
}

/// `[security_headers]`: headers set on every response, whoever produced it.
public struct SecurityHeaderSettings: Sendable {
    public var hstsMaxAge = 31_536_000
    public var hstsIncludeSubdomains = true
    /// Same-origin only. The docs pages get their own policy, allowing exactly their assets
    /// (see ``DocsPages``).
    public var contentSecurityPolicy = SecurityHeaderSettings.defaultContentSecurityPolicy
    public var referrerPolicy = "strict-origin-when-cross-origin"
    public var frameOptions = "DENY"
    /// "0" as OWASP advises: the legacy XSS auditor caused more harm than it prevented.
    public var xssProtection = "0"

    public static let defaultContentSecurityPolicy = [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ].joined(separator: "; ")
}

/// `[cors]`: cross-origin access for browsers. Off unless enabled.
public struct CORSSettings: Sendable {
    public var enabled = false
    /// Exact origins (`https://app.example.com`) or `*`.
    public var allowOrigins: [String] = []
    public var allowCredentials = false
    public var allowMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    public var allowHeaders = ["Content-Type", "Authorization", "X-API-Key"]
    public var exposeHeaders: [String] = []
    /// Seconds a browser may cache a preflight answer.
    public var maxAge = 600
}

/// `[logging]`
public struct LoggingSettings: Sendable {
    public enum Format: String, Sendable { case text, json }

    public var level = "info"
    public var format = Format.text
    /// Log file (relative to host.toml); empty for console only.
    public var file = "logs/server.log"
    /// Rotate when the file reaches this many bytes.
    public var maxFileSize = 10 * 1024 * 1024
    /// Rotated files kept besides the current one (server.log.1 ... server.log.N).
    public var maxFiles = 5
    /// Bytes of rendered lines waiting for the writer thread (twice this is allocated); a line
    /// that does not fit is dropped and counted.
    public var queueSize = 1 << 20
    /// Peers whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
    public var trustedProxies: [String] = []
    /// Query parameters whose values never reach the log.
    public var sensitiveQueryParameters = ["api_key", "apikey", "key", "token", "access_token", "password", "secret"]
}
