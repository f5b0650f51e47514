import FoundationEssentials

/// Where a Redis server is and who we are to it:
/// `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS.
///
/// With a user name the connection authenticates as that ACL user (`AUTH user password`); with a
/// password alone as the default user (`AUTH password`).
package struct RedisURL: Sendable, Equatable {
    package let host: String
    package let port: Int
    package let database: Int
    /// The ACL user, if the URL names one.
    package let user: String?
    package let password: String?
    /// `rediss://`: the connection is TLS, and the server's certificate is verified.
    package let tls: Bool

    package init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme, scheme == "redis" || scheme == "rediss",
              let host = components.host, !host.isEmpty else { return nil }
        // A query or fragment is nothing we read; refusing it keeps a typo from passing silently.
        guard components.query == nil, components.fragment == nil else { return nil }
        tls = scheme == "rediss"
        // IPv6 literals come bracketed from URLComponents; sockets want them bare.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 6379
        guard (1...65535).contains(port) else { return nil }
        // The database is the path without the slashes around it: "/2" → 2.
        var path = Substring(components.path)
        while path.hasPrefix("/") { path = path.dropFirst() }
        while path.hasSuffix("/") { path = path.dropLast() }
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else { return nil }
        self.database = database
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        // A user without a password cannot authenticate: AUTH needs both.
        guard user == nil || components.password != nil else { return nil }
        // AUTH's arguments go into a RESP bulk string, which carries any byte; CR and LF are
        // refused anyway, so that no value can look like a second command to a reader of a trace.
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        for part in [user, components.password].compactMap({ $0 }) where part.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            return nil
        }
        self.user = user
        password = components.password
    }

    /// Whether `text` names a Redis server (`redis://` or `rediss://`) at all, valid or not:
    /// what a store setting is, before it is checked.
    package static func looksLikeURL(_ text: String) -> Bool {
        text.hasPrefix("redis://") || text.hasPrefix("rediss://")
    }

    /// The URL with the password replaced, for logs and `/api/config`. The user name stays: it
    /// says which ACL user to look at, and is no secret.
    package var redacted: String {
        let credentials = password == nil ? "" : "\(user ?? ""):***@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "rediss" : "redis")://\(credentials)\(shownHost):\(port)/\(database)"
    }
}
