import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Logging
import PlugHostConfig
import PlugHostPlugins

/// What every API route, built-in or plugin, goes through: the gate (rate limit, then API key),
/// then the plugin middlewares' request hooks, the route itself, the response hooks in reverse;
/// the gate's RateLimit headers are set last, so no middleware can remove or change them.
/// A class, made once: every request's run holds it, and a reference costs one retain where this
/// many fields would cost one each.
final class RoutePipeline: Sendable {
    let gate: RouteGate
    let chain: MiddlewareChain
    let caller: PluginCaller
    let requestFields: PluginRequestFields
    let logger: Logger

    /// Request headers no middleware may set or remove: the key (checked already, never shown to
    /// plugins) and the framing of the body.
    let requestProtected: HeaderNameSet
    /// Response headers no middleware may set or remove: the host's security headers (set again
    /// outside anyway), the rate-limit fields, and the framing of the body.
    let responseProtected = AnswerFraming.hostOwnedHeaders.union([
        .strictTransportSecurity, .xContentTypeOptions, .xFrameOptions, .contentSecurityPolicy, .xXSSProtection, .referrerPolicy,
        .rateLimitPolicy, .rateLimit, .xRateLimitLimit, .xRateLimitRemaining, .xRateLimitReset, .retryAfter,
    ])

    init(gate: RouteGate, chain: MiddlewareChain, caller: PluginCaller, logger: Logger) {
        self.gate = gate
        self.chain = chain
        self.caller = caller
        requestFields = PluginRequestFields(keyHeader: gate.authenticator.headerName)
        requestProtected = AnswerFraming.hostOwnedHeaders.union([gate.authenticator.headerName])
        self.logger = logger
    }

    /// One served route, as the pipeline needs to know it. A class, for the same reason.
    final class Route: Sendable {
        /// Nil for a route the gate never guards (health, docs).
        let rules: RouteGate.Rules?
        /// The plugin serving it; nil for a built-in.
        let plugin: String?
        let method: String
        let servedPath: String
        /// The template the route's handler knows: the plugin's own ("/items/{id}") or the served path.
        let template: PathTemplate
        /// `template` as text, and its parameters' names: made once, not per request.
        let templateText: String
        let parameterNames: [String]
        /// Every middleware of the chain, in its order, with who its hook calls belong to on this
        /// route: made once, so a hook call builds no description of itself and looks nothing up.
        let hooks: [Hook]

        init(rules: RouteGate.Rules?, plugin: String?, method: String, servedPath: String, template: PathTemplate, templateText: String,
             parameterNames: [String], hooks: [Hook]) {
            self.rules = rules
            self.plugin = plugin
            self.method = method
            self.servedPath = servedPath
            self.template = template
            self.templateText = templateText
            self.parameterNames = parameterNames
            self.hooks = hooks
        }
    }

    /// A middleware on one route.
    struct Hook: Sendable {
        let middleware: PluginMiddleware
        let requestOwner: CallOwner
        let responseOwner: CallOwner
    }

    /// The route as the pipeline serves it.
    func route(rules: RouteGate.Rules?, plugin: String?, method: String, servedPath: String, template: PathTemplate) -> Route {
        let hooks = chain.ordered.map { middleware in
            Hook(middleware: middleware, requestOwner: Self.owner(middleware, .requestHook, method, servedPath),
                 responseOwner: Self.owner(middleware, .responseHook, method, servedPath))
        }
        return Route(rules: rules, plugin: plugin, method: method, servedPath: servedPath, template: template,
                     templateText: template.description, parameterNames: template.parameterNames, hooks: hooks)
    }

    /// A built-in route's work: gets the request as the middlewares left it and the caller's key name.
    typealias Handler = @Sendable (Request, String?) async throws -> RouteResponse

    /// Serves a request in its task, waiting wherever a step has to.
    func serve(_ request: Request, context: HostRequestContext, route: Route, work: RouteRun.Work) async throws -> RouteResponse {
        let run = RouteRun(request, context: context, route: route, work: work, pipeline: self)
        return try await finish(run, from: try run.start())
    }

    /// Runs `run` to its answer from the step `next`, awaiting each step that has to wait.
    func finish(_ run: RouteRun, from next: RouteRun.Next) async throws -> RouteResponse {
        var next = next
        while true {
            switch next {
            case .done(let answer):
                return answer
            case .checkLimit(let policy, let identity):
                next = try run.limitChecked(await gate.limiter.check(policy, identity: identity))
            case .call(let start):
                next = run.answered(await caller.answer(start))
            case .readBody:
                guard case .plugin(let responder) = run.work else { preconditionFailure("a body to read for a built-in route") }
                do {
                    next = run.bodyRead(try await responder.readBody(run.routed))
                } catch let error as HTTPError {
                    next = run.failed(error)
                }
            case .handle(let keyName):
                guard case .builtin(let handler) = run.work else { preconditionFailure("a handler to run for a plugin route") }
                do {
                    next = run.handled(try await handler(run.routed, keyName))
                } catch let error as HTTPError {
                    next = run.failed(error)
                }
            }
        }
    }

    private static func owner(_ middleware: PluginMiddleware, _ kind: CallOwner.Kind, _ method: String, _ servedPath: String) -> CallOwner {
        CallOwner(plugin: middleware.pluginName, recordIndex: middleware.recordIndex, abiMinor: middleware.abiMinor, kind: kind, middleware: middleware.name,
                  what: "middleware '\(middleware.name)' (\(kind == .requestHook ? "request" : "response") hook) on \(method) \(servedPath)")
    }
}
