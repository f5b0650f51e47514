import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PlugHostPlugins

/// What every API route, built-in or plugin, goes through: the gate (rate limit, then API key),
/// then the plugin middlewares' request hooks, the route itself, the response hooks in reverse;
/// the gate's RateLimit headers are set last, so no middleware can remove or change them.
struct RoutePipeline: Sendable {
    let gate: RouteGate
    let chain: MiddlewareChain
    let caller: PluginCaller
    let requestFields: PluginRequestFields
    let logger: Logger

    /// Request headers no middleware may set or remove: the key (checked already, never shown to
    /// plugins) and the framing of the body.
    private let requestProtected: HeaderNameSet
    /// Response headers no middleware may set or remove: the host's security headers (set again
    /// outside anyway), the rate-limit fields, and the framing of the body.
    private let responseProtected = AnswerFraming.hostOwnedHeaders.union([
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

    /// One served route, as the pipeline needs to know it.
    struct Route: Sendable {
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
        /// Who each middleware's hook calls belong to on this route, by middleware name: made
        /// once, so a hook call builds no description of itself.
        let hookOwners: [String: (request: CallOwner, response: CallOwner)]
    }

    /// The route as the pipeline serves it.
    func route(rules: RouteGate.Rules?, plugin: String?, method: String, servedPath: String, template: PathTemplate) -> Route {
        var owners: [String: (request: CallOwner, response: CallOwner)] = [:]
        for middleware in chain.ordered {
            owners[middleware.name] = (Self.owner(middleware, .requestHook, method, servedPath), Self.owner(middleware, .responseHook, method, servedPath))
        }
        return Route(rules: rules, plugin: plugin, method: method, servedPath: servedPath, template: template,
                     templateText: template.description, parameterNames: template.parameterNames, hookOwners: owners)
    }

    /// The route's work: gets the request as the middlewares left it and the caller's key name.
    typealias Handler = @Sendable (Request, String?) async throws -> Response

    func serve(_ request: Request, context: HostRequestContext, route: Route, _ handler: Handler) async throws -> Response {
        var keyName: String?
        var gateHeaders = HTTPFields()
        if let rules = route.rules {
            switch try await gate.admit(request, context: context, rules: rules) {
            case .refused(let response): return response
            case .admitted(let key, let headers): (keyName, gateHeaders) = (key, headers)
            }
        }
        // Scopes are matched on the decoded path, the one routes see: "/api/%61dmin" is "/api/admin".
        let middlewares = chain.ordered.isEmpty
            ? [] : chain.applicable(to: PercentDecoding.decode(request.uri.path), routePlugin: route.plugin)
        var response = middlewares.isEmpty
            ? try await Self.answer(handler, request, keyName)
            : try await runChain(middlewares, request: request, context: context, route: route, keyName: keyName, handler: handler)
        response.headers.replaceAll(with: gateHeaders)
        return response
    }

    /// The handler's answer, with the errors it throws (413, ...) made answers the response hooks can see.
    private static func answer(_ handler: Handler, _ request: Request, _ keyName: String?) async throws -> Response {
        do {
            return try await handler(request, keyName)
        } catch let error as HTTPError {
            return ErrorAnswers.response(error.status, error.body ?? error.status.reasonPhrase, extraHeaders: error.headers)
        }
    }

    private func runChain(_ middlewares: [PluginMiddleware], request: Request, context: HostRequestContext, route: Route,
                          keyName: String?, handler: Handler) async throws -> Response {
        var headers = request.headers
        // The middlewares whose response hooks run are always the first `passed` ones.
        var passed = 0
        var stoppedWith: Response?
        for middleware in middlewares {
            if let hook = middleware.onRequest {
                let owner = route.hookOwners[middleware.name]!.request
                let view = RequestView.make(requestFields.fields(request, headers: headers, context: context, route: route, keyName: keyName, forHook: true),
                                            body: UnsafeRawBufferPointer(start: nil, count: 0))
                let answer = await answer(context, middleware.isNonBlocking
                    ? caller.callInline(owner, view: view) { handle in hook(handle, view.request, middleware.userData) }
                    : caller.callOnPool(owner, view: view) { handle in hook(handle, view.request, middleware.userData) })
                if case .respond(let pluginAnswer) = answer {
                    stoppedWith = pluginAnswer.response
                    break
                }
                if case .proceed(let edits) = answer {
                    edits.apply(to: &headers, protected: requestProtected, owner: owner, logger: logger)
                }
            }
            passed += 1
        }
        var head = request.head
        head.headerFields = headers
        let routed = Request(head: head, body: request.body)
        var response: Response
        if let stoppedWith {
            response = stoppedWith
        } else {
            response = try await Self.answer(handler, routed, keyName)
        }
        for middleware in middlewares[..<passed].reversed() {
            guard let hook = middleware.onResponse else { continue }
            let owner = route.hookOwners[middleware.name]!.response
            var fields = requestFields.fields(routed, headers: headers, context: context, route: route, keyName: keyName, forHook: true)
            fields.response = (Int(response.status.code), response.headers)
            let view = RequestView.make(fields, body: UnsafeRawBufferPointer(start: nil, count: 0))
            let answer = await answer(context, middleware.isNonBlocking
                ? caller.callInline(owner, view: view) { handle in hook(handle, view.request, view.response, middleware.userData) }
                : caller.callOnPool(owner, view: view) { handle in hook(handle, view.request, view.response, middleware.userData) })
            switch answer {
            case .proceed(let edits):
                edits.apply(to: &response.headers, protected: responseProtected, owner: owner, logger: logger)
            case .respond(let pluginAnswer):
                // Only the host answers a response hook this way: its timeout (504) or a malformed answer.
                response = pluginAnswer.response
            }
        }
        return response
    }

    /// A plugin call's answer (``PluginCaller/answer(_:)``); one the host gave in the plugin's place
    /// because `[server] shutdown_grace` ran out marks the request as aborted for the request log.
    func answer(_ context: HostRequestContext, _ start: CallStart) async -> CallAnswer {
        let answer = await caller.answer(start)
        if case .respond(let pluginAnswer) = answer, pluginAnswer.endsAtShutdown { context.logFields.aborted = .shutdownGrace }
        return answer
    }

    private static func owner(_ middleware: PluginMiddleware, _ kind: CallOwner.Kind, _ method: String, _ servedPath: String) -> CallOwner {
        CallOwner(plugin: middleware.pluginName, recordIndex: middleware.recordIndex, abiMinor: middleware.abiMinor, kind: kind, middleware: middleware.name,
                  what: "middleware '\(middleware.name)' (\(kind == .requestHook ? "request" : "response") hook) on \(method) \(servedPath)")
    }
}
