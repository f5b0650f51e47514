import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Logging
import PlugHostKeys
import PlugHostObservability

/// Decides whether the API key a request carries opens a route, and logs each failed attempt by
/// key name or prefix — never the key. An accepted key is logged in the request's response line
/// (`key=NAME key_prefix=PREFIX`, ``RequestLog``), which every answered request gets. A class,
/// made once, for the same reason as ``RouteGate``.
final class Authenticator: Sendable {
    let keys: KeyStore
    let headerName: HTTPField.Name
    let logger: Logger

    init(keys: KeyStore, headerName: HTTPField.Name, logger: Logger) {
        self.keys = keys
        self.headerName = headerName
        self.logger = logger
    }

    /// What the request's key is worth for a route needing `scope` (nil: any valid key).
    func check(_ headers: HTTPFields, scope: String?) -> KeyStore.Outcome {
        keys.authenticate(presentedKey(headers), requiredScope: scope)
    }

    /// The header's value as the subscript gives it (several fields joined by ", ", which no key
    /// matches), without joining in the usual case of one field.
    private func presentedKey(_ headers: HTTPFields) -> String? {
        var found: String?
        for field in headers where field.name == headerName {
            guard found == nil else { return headers[headerName] }
            found = field.value
        }
        return found
    }

    /// The name of the key an outcome proves, whatever the route needs.
    static func keyName(_ outcome: KeyStore.Outcome) -> String? {
        switch outcome {
        case .allowed(let name, _), .forbidden(let name, _, _): name
        case .missing, .invalid, .expired: nil
        }
    }

    /// A key that opened the route: what the response line says of it.
    struct ProvenKey: Sendable {
        let name: String
        /// The key's visible prefix, `env` for the key from the environment.
        let prefix: String
    }

    /// Returns the authenticated key (nil on an open route without a valid key), or logs the
    /// failed attempt and throws the 401/403 to answer when the route requires a key it did not get.
    func enforce(_ outcome: KeyStore.Outcome, requiresAuth: Bool, request: AuthTarget) throws -> ProvenKey? {
        switch outcome {
        case .allowed(let name, let prefix):
            return ProvenKey(name: name, prefix: prefix.isEmpty ? "env" : prefix)
        case .missing:
            guard requiresAuth else { return nil }
            logger.notice("auth failed: no \(headerName) header for \(request)")
            HostMetrics.shared.authFailed(reason: "missing")
            throw unauthorized("Missing API key: send it in the \(headerName.rawName) header.")
        case .invalid(let knownPrefix):
            let which = knownPrefix.map { "a key with prefix \($0) but the wrong secret" } ?? "an unknown key"
            logger.notice("auth failed: \(which) for \(request)")
            if !requiresAuth { return nil }
            HostMetrics.shared.authFailed(reason: "invalid")
            throw unauthorized("Invalid or expired API key.")
        case .expired(let name, let prefix):
            logger.notice("auth failed: key '\(name)' (\(prefix)) has expired, for \(request)")
            if !requiresAuth { return nil }
            HostMetrics.shared.authFailed(reason: "expired")
            throw unauthorized("Invalid or expired API key.")
        case .forbidden(let name, let prefix, let scope):
            logger.notice("auth denied: key '\(name)' (\(prefix)) lacks scope '\(scope)' for \(request)")
            HostMetrics.shared.authFailed(reason: "missing_scope")
            throw HTTPError(.forbidden, message: "This route requires an API key with the scope '\(scope)'.")
        }
    }

    /// What an auth line names: `GET /api/items from 203.0.113.9`.
    struct AuthTarget: CustomStringConvertible {
        let method: String
        let path: String
        let client: String
        var description: String { "\(method) \(path) from \(client)" }
    }

    private func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "APIKey header=\"\(headerName.rawName)\""], message: message)
    }
}
