import HTTPTypes
import Hummingbird
import PlugHostRateLimit

/// What every API route passes before its handler runs: the rate limit, then authentication.
///
/// The limit comes first so that failed authentication spends budget too: guessing keys is
/// slowed like any other flood. A valid key is identified first (one hash, no log) so that
/// per-key limits can apply.
struct RouteGate: Sendable {
    let authenticator: Authenticator
    let limiter: RateLimiter

    /// How one route is guarded, worked out once when the router is built.
    struct Rules: Sendable {
        let servedPath: String
        let requiresAuth: Bool
        let scope: String?
        let policy: RateLimitPolicy?
    }

    func rules(method: String, servedPath: String, plugin: String?, requiresAuth: Bool, scope: String?, limited: Bool, cost: Int) -> Rules {
        Rules(servedPath: servedPath, requiresAuth: requiresAuth, scope: scope,
              policy: limiter.policy(method: method, servedPath: servedPath, plugin: plugin, limited: limited, cost: cost))
    }

    /// The key's name and the headers to add to the answer; or throws the 401/403 (with the
    /// rate-limit headers on it), or returns the 429 to send instead of calling the handler.
    func admit(_ request: Request, context: HostRequestContext, rules: Rules) async throws -> Admission {
        let outcome = authenticator.check(request, scope: rules.requiresAuth ? rules.scope : nil)
        var headers = HTTPFields()
        if let policy = rules.policy {
            let identity = limiter.identity(keyName: Authenticator.keyName(outcome), client: context.logFields.client)
            switch await limiter.check(policy, identity: identity) {
            case .allowed(let fields): headers = fields
            case .rejected(let response): return .refused(response)
            }
        }
        do {
            let key = try authenticator.enforce(outcome, requiresAuth: rules.requiresAuth,
                                                request: .init(method: request.method.rawValue, path: rules.servedPath, client: context.logFields.client))
            context.logFields.key = key
            return .admitted(keyName: key, headers: headers)
        } catch var error as HTTPError {
            error.headers.append(contentsOf: headers)
            throw error
        }
    }

    enum Admission: Sendable {
        case admitted(keyName: String?, headers: HTTPFields)
        case refused(Response)
    }
}
