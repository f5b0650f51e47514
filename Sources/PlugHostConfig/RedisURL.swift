import Foundation

/// Where a Redis server is: `redis://[:password@]host[:port][/db]`.
package struct RedisURL: Sendable, Equatable {
    package let host: String
    package let port: Int
    package let database: Int
    package let password: String?

    package init?(_ text: String) {
        guard let components = URLComponents(string: text), components.scheme == "redis", let host = components.host, !host.isEmpty else { return nil }
        self.host = host
        port = components.port ?? 6379
        guard (1...65535).contains(port) else { return nil }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else { return nil }
        self.database = database
        password = components.password
    }

    /// The URL with any password replaced, for logs.
    package var redacted: String { "redis://\(password == nil ? "" : ":***@")\(host):\(port)/\(database)" }
}
