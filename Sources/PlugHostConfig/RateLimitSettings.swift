/// `[rate_limit]`: how many requests a client may make, and where the counts live.
public struct RateLimitSettings: Sendable {
    /// Whose budget a request spends.
    public enum KeyMode: String, Sendable {
        /// The client's address.
        case ip
        /// The API key's name; requests without a valid key share one anonymous budget.
        case apiKey = "api_key"
        /// The API key's name when a valid key is sent, else the client's address.
        case apiKeyOrIP = "api_key_or_ip"
    }

    /// What to do when the shared store (Redis) cannot be reached.
    public enum StoreErrorPolicy: String, Sendable {
        case allow, deny
    }

    public var enabled = true
    /// The default limits, each applied in full: `100/minute`, or several such as `10/second` and `1000/hour`.
    public var rates: [Rate] = [Rate(count: 100, window: 60, text: "100/minute")]
    public var key = KeyMode.apiKeyOrIP
    /// `memory`, or a `redis://host:port/db` URL shared by every instance.
    public var store = "memory"
    public var onStoreError = StoreErrorPolicy.allow
    /// Also send `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
    public var legacyHeaders = false
    /// Most clients the memory store tracks at once; beyond it, new clients share one overflow budget.
    public var maxClients = 1_000_000
    /// Seconds to wait for Redis before following `on_store_error`.
    public var storeTimeout: Double = 0.25
    /// Limits for single routes, by `"METHOD /api/path/{template}"`.
    public var routeRates: [String: [Rate]] = [:]
    /// Limits for all routes of one plugin, from `[plugins.NAME] rate`.
    public var pluginRates: [String: [Rate]] = [:]
}

/// One limit: `count` units in any `window` seconds.
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    public let count: Int
    public let window: Double
    public let text: String

    public init(count: Int, window: Double, text: String) {
        self.count = count
        self.window = window
        self.text = text
    }

    /// Parses `N/second`, `N/minute`, `N/hour`, `N/day` (also `N/s`, `N/m`, `N/h`, `N/d`, and `N/5minutes`).
    public init?(_ text: String) {
        let parts = text.replacing(" ", with: "").lowercased().split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else { return nil }
        var unit = Substring(parts[1])
        let digits = unit.prefix { $0.isNumber }
        let multiple = digits.isEmpty ? 1 : Int(digits) ?? 0
        unit = unit.dropFirst(digits.count)
        let seconds: Double
        switch unit {
        case "s", "sec", "second", "seconds": seconds = 1
        case "m", "min", "minute", "minutes": seconds = 60
        case "h", "hour", "hours": seconds = 3600
        case "d", "day", "days": seconds = 86_400
        default: return nil
        }
        guard multiple > 0 else { return nil }
        self.init(count: count, window: seconds * Double(multiple), text: text)
    }

    public var description: String { text }

    /// The window in whole seconds, for headers.
    package var windowSeconds: Int { Int(window.rounded(.up)) }
}
