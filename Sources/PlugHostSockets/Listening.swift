public import Logging

/// Where the server listens, once it does.
public struct Listening: Sendable {
    public let scheme: String
    public let port: Int
    /// The plain-HTTP redirect port, when `[server] http_port` is set.
    public let redirectPort: Int?

    public init(scheme: String, port: Int, redirectPort: Int?) {
        self.scheme = scheme
        self.port = port
        self.redirectPort = redirectPort
    }

    /// `scheme://HOST:PORT` as clients reach it, an IPv6 host in brackets.
    public func baseURL(host: String) -> String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// Logs the line operators (and the tests) look for, `PlugHost listening on URL with N
    /// plugin(s); try URL/api/health`, plus `detail` in parentheses, and the redirect line.
    public func announce(host: String, plugins: Int, logger: Logger, again: Bool = false, detail: String? = nil) {
        let base = baseURL(host: host)
        logger.notice("PlugHost \(again ? "now listening" : "listening") on \(base) with \(plugins) plugin(s); try \(base)/api/health\(detail.map { " (\($0))" } ?? "")")
        if let redirectPort {
            logger.notice("plain HTTP on port \(redirectPort) redirects to \(base)")
        }
    }
}
