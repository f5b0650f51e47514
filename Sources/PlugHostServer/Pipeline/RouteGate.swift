import HTTPTypes
import Hummingbird
import PlugHostKeys
import PlugHostRateLimit

/// What every API route passes before its handler runs: the rate limit, then authentication.
///
/// The limit comes first so that failed authentication spends budget too: guessing keys is
/// slowed like any other flood. A valid key is identified first (one hash, no log) so that
/// per-key limits can apply.
/// A class, made once: every request asks it, and a reference is one retain where its parts
/// would be one each.
final class RouteGate: Sendable {
    let authenticator: Authenticator
    let limiter: RateLimiter

    init(authenticator: Authenticator, limiter: RateLimiter) {
        self.authenticator = authenticator
        self.limiter = limiter
    }

    /// How one route is guarded, worked out once when the router is built. A class, for the
    /// same reason as the gate: each request takes it through several steps.
    final class Rules: Sendable {
        let servedPath: String
        let requiresAuth: Bool
        let scope: String?
        let policy: RateLimitPolicy?

        init(servedPath: String, requiresAuth: Bool, scope: String?, policy: RateLimitPolicy?) {
            self.servedPath = servedPath
            self.requiresAuth = requiresAuth
            self.scope = scope
            self.policy = policy
        }
    }

    func rules(method: String, servedPath: String, plugin: String?, requiresAuth: Bool, scope: String?, limited: Bool, cost: Int) -> Rules {
        Rules(servedPath: servedPath, requiresAuth: requiresAuth, scope: scope,
              policy: limiter.policy(method: method, servedPath: servedPath, plugin: plugin, limited: limited, cost: cost))
    }

    /// What the gate learns before the rate limit is asked: what the key is worth, and whose
    /// budget the request spends (nil when the route is not limited).
    struct Check {
        let outcome: KeyStore.Outcome
        let limit: (policy: RateLimitPolicy, identity: String)?
    }

    func check(_ headers: HTTPFields, context: HostRequestContext, rules: Rules) -> Check {
        let outcome = authenticator.check(headers, scope: rules.requiresAuth ? rules.scope : nil)
        guard let policy = rules.policy else { return Check(outcome: outcome, limit: nil) }
        return Check(outcome: outcome, limit: (policy, limiter.identity(keyName: Authenticator.keyName(outcome), client: context.logFields.client)))
    }

    /// Given the rate limit's verdict (nil for a route without a limit): the key's name and the
    /// rate-limit fields the answer gets, or the 429 to send instead of calling the handler; or
    /// throws the 401/403 (with the rate-limit headers on it).
    func admit(_ check: Check, verdict: RateLimiter.Verdict?, request: Request, context: HostRequestContext, rules: Rules) throws -> Admission {
        var limitFields: RateLimitFields?
        switch verdict {
        case .allowed(let fields): limitFields = fields
        case .rejected(let refusal): return .refused(RouteResponse(refusal))
        case nil: break
        }
        do {
            let key = try authenticator.enforce(check.outcome, requiresAuth: rules.requiresAuth,
                                                request: .init(method: request.method.rawValue, path: rules.servedPath, client: context.logFields.client))
            (context.logFields.key, context.logFields.keyPrefix) = (key?.name, key?.prefix)
            return .admitted(keyName: key?.name, limitFields: limitFields)
        } catch var error as HTTPError {
            if let limitFields { error.headers.append(contentsOf: limitFields.fields) }
            throw error
        }
    }

    enum Admission: Sendable {
        case admitted(keyName: String?, limitFields: RateLimitFields?)
        case refused(RouteResponse)
    }
}
