import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Decides, per request, whether the API key it carries opens the route, and logs each attempt
/// by key name or prefix — never the key.
struct Authenticator: Sendable {
    let keys: KeyStore
    let headerName: HTTPField.Name
    let logger: Logger

    /// The name of the authenticated key, or nil on an open route without a valid key.
    /// Throws the 401/403 to answer when the route requires a key it did not get.
    func authorize(_ request: Request, route: String, requiresAuth: Bool, scope: String?, client: String) throws -> String? {
        let presented = request.headers[headerName]
        if !requiresAuth, presented == nil { return nil }
        let outcome = keys.authenticate(presented, requiredScope: requiresAuth ? scope : nil)
        let target = "\(request.method) \(route) from \(client)"
        switch outcome {
        case .allowed(let name, let prefix):
            logger.info("auth ok: key '\(name)' (\(prefix.isEmpty ? "env" : prefix)) for \(target)")
            return name
        case .missing:
            logger.notice("auth failed: no \(headerName) header for \(target)")
            throw unauthorized("Missing API key: send it in the \(headerName.rawName) header.")
        case .invalid(let knownPrefix):
            let which = knownPrefix.map { "a key with prefix \($0) but the wrong secret" } ?? "an unknown key"
            logger.notice("auth failed: \(which) for \(target)")
            if !requiresAuth { return nil }
            throw unauthorized("Invalid or expired API key.")
        case .expired(let name, let prefix):
            logger.notice("auth failed: key '\(name)' (\(prefix)) has expired, for \(target)")
            if !requiresAuth { return nil }
            throw unauthorized("Invalid or expired API key.")
        case .forbidden(let name, let prefix, let scope):
            logger.notice("auth denied: key '\(name)' (\(prefix)) lacks scope '\(scope)' for \(target)")
            throw HTTPError(.forbidden, message: "This route requires an API key with the scope '\(scope)'.")
        }
    }

    private func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "APIKey header=\"\(headerName.rawName)\""], message: message)
    }
}
