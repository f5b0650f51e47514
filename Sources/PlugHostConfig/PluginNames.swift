/// What a plugin may name in host.toml and at registration: checked by both, so one rule.
package enum PluginNames {
    /// Methods a route may be registered for.
    package static let routeMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    /// A middleware name: `[a-z0-9_-]+`, at most 64 bytes, so it is safe in logs and in host.toml.
    package static func isValidMiddlewareName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
    }
}
