import HTTPTypes
import Hummingbird
import NIOCore
import PlugHostPlugins
import PlugHostRateLimit

/// One request's way through ``RoutePipeline`` — the gate, the request hooks, the route, the
/// response hooks in reverse, the gate's headers last — as steps that never wait. Each step
/// returns what comes next; a step that may have to wait (a rate-limit store that is not in
/// memory, reading the body, a built-in's handler, a plugin call not answered inline) is handed
/// to its driver, which comes back with the outcome.
///
/// Two drivers share it, so the pipeline is written once: ``RoutePipeline/finish(_:from:)``
/// awaits each such step in the request's task; ``EventLoopFastPath`` runs a request on its
/// connection's event loop while every step is ready at once (no task at all, which is what a
/// request costs most beside the plugins' own work) and hands the rest to a task at the first that is not.
///
/// One driver owns a run at a time — the event loop, then the task it hands the run to — so its
/// state needs no lock.
final class RouteRun: @unchecked Sendable {
    enum Next: Sendable {
        /// The rate-limit store must be asked, and may make the caller wait: ``limitChecked(_:)`` with its verdict.
        case checkLimit(RateLimitPolicy, identity: String)
        /// A plugin call is under way: ``answered(_:)`` with its answer.
        case call(CallStart)
        /// A plugin route's body must be read (after the gate and the request hooks, never
        /// before: a client that may not call the route cannot make the host read its body), from
        /// ``routed``: ``bodyRead(_:)`` with it, or ``failed(_:)``.
        case readBody
        /// A built-in's handler must run with ``routed``: ``handled(_:)`` with its answer, or ``failed(_:)``.
        case handle(keyName: String?)
        case done(RouteResponse)
    }

    /// What answers the request once the gate and the request hooks let it through.
    enum Work: Sendable {
        case plugin(PluginRouteResponder)
        case builtin(RoutePipeline.Handler)
    }

    let request: Request
    let context: HostRequestContext
    private let route: RoutePipeline.Route
    let work: Work
    private let pipeline: RoutePipeline

    private var stage = Stage.gate(nil)
    private enum Stage {
        /// With what the gate learnt while the rate-limit store is asked.
        case gate(RouteGate.Check?)
        case requestHook(Int)
        case route
        case responseHook(Int)
    }

    private var keyName: String?
    /// The rate-limit fields the gate gave the answer, set on it after the response hooks.
    private(set) var limitFields: RateLimitFields?
    /// The driver writes ``limitFields`` itself (as bytes: ``EventLoopFastPath``), so the answer
    /// is finished without them. Changeable until the response hooks are done.
    var leavesLimitFieldsToWriter = false
    private var middlewares: [RoutePipeline.Hook] = []
    /// The path as routes and hooks see it (percent-decoded) and the query: made once, not for
    /// the middleware scopes and each plugin call again.
    private lazy var decodedPath = PercentDecoding.decode(request.uri.path)
    private lazy var query = request.uri.query ?? ""
    /// The middlewares whose response hooks run are always the first `passed` ones.
    private var passed = 0
    /// The request's headers as the request hooks left them.
    private var headers = HTTPFields()
    /// Edits of the answer that request hooks asked for (`proceed_setting_response()`), by the
    /// index of their middleware: the first apart, since one such middleware (a request ID) is
    /// the usual case, which then needs no array.
    private var firstResponseEdits: (index: Int, edits: HeaderEdits)?
    private var moreResponseEdits: [(index: Int, edits: HeaderEdits)] = []
    /// The route's or a hook's answer, once there is one (until then the placeholder, made once).
    private var answer = RouteRun.noAnswerYet
    private static let noAnswerYet = RouteResponse(status: .internalServerError, headers: [:], bytes: ByteBuffer())

    init(_ request: Request, context: HostRequestContext, route: RoutePipeline.Route, work: Work, pipeline: RoutePipeline) {
        self.request = request
        self.context = context
        self.route = route
        self.work = work
        self.pipeline = pipeline
    }

    /// The request as the route gets it, with the headers the request hooks left: made only for
    /// a driver that needs it whole (a body to read, a built-in's handler). A plugin's call takes
    /// the request and those headers as they are: a request made anew parses its target again.
    var routed: Request {
        guard !middlewares.isEmpty else { return request }
        var head = request.head
        head.headerFields = headers
        return Request(head: head, body: request.body)
    }

    /// The first step: the gate, when the route has one.
    func start() throws -> Next {
        guard let rules = route.rules else { return afterGate() }
        let check = pipeline.gate.check(request.headers, context: context, rules: rules)
        guard let limit = check.limit else { return try admit(check, verdict: nil, rules: rules) }
        if let verdict = pipeline.gate.limiter.checkNow(limit.policy, identity: limit.identity) {
            return try admit(check, verdict: verdict, rules: rules)
        }
        stage = .gate(check)
        return .checkLimit(limit.policy, identity: limit.identity)
    }

    func limitChecked(_ verdict: RateLimiter.Verdict) throws -> Next {
        guard case .gate(let check?) = stage, let rules = route.rules else { preconditionFailure("a rate-limit verdict outside the gate") }
        return try admit(check, verdict: verdict, rules: rules)
    }

    private func admit(_ check: RouteGate.Check, verdict: RateLimiter.Verdict?, rules: RouteGate.Rules) throws -> Next {
        switch try pipeline.gate.admit(check, verdict: verdict, request: request, context: context, rules: rules) {
        case .refused(let refusal): return .done(refusal)
        case .admitted(let key, let fields): (keyName, limitFields) = (key, fields)
        }
        return afterGate()
    }

    private func afterGate() -> Next {
        // Scopes are matched on the decoded path, the one routes see: "/api/%61dmin" is "/api/admin".
        middlewares = route.hooks.isEmpty
            ? [] : MiddlewareChain.applicable(route.hooks, to: decodedPath, routePlugin: route.plugin)
        headers = request.headers
        return requestHook(from: 0)
    }

    private func requestHook(from first: Int) -> Next {
        for index in first..<max(first, middlewares.count) {
            let middleware = middlewares[index].middleware
            if let hook = middleware.onRequest {
                stage = .requestHook(index)
                let owner = middlewares[index].requestOwner
                let view = RequestView.make(pipeline.requestFields.fields(method: request.method, path: decodedPath, query: query, headers: headers, context: context, route: route, keyName: keyName, forHook: true),
                                            body: UnsafeRawBufferPointer(start: nil, count: 0))
                return .call(middleware.isNonBlocking
                    ? pipeline.caller.callInline(owner, view: view) { handle in hook(handle, view.request, middleware.userData) }
                    : pipeline.caller.callOnPool(owner, view: view) { handle in hook(handle, view.request, middleware.userData) })
            }
            passed += 1
        }
        return toRoute()
    }

    /// The request as the hooks left it goes to the route.
    private func toRoute() -> Next {
        stage = .route
        switch work {
        case .plugin: return .readBody
        case .builtin: return .handle(keyName: keyName)
        }
    }

    func bodyRead(_ body: ByteBuffer) -> Next {
        guard case .plugin(let responder) = work else { preconditionFailure("a body read for a built-in route") }
        return .call(responder.call(method: request.method, path: decodedPath, query: query, headers: headers, body: body, context: context,
                                    route: route, keyName: keyName))
    }

    /// What a route's handler throws (413, 400, ...) is an answer the response hooks see.
    func failed(_ error: HTTPError) -> Next {
        handled(ErrorAnswers.response(error))
    }

    func handled(_ answer: RouteResponse) -> Next {
        self.answer = answer
        return responseHook(from: passed - 1)
    }

    func answered(_ call: CallAnswer) -> Next {
        // An answer the host gave in the plugin's place because `[server] shutdown_grace` ran out
        // marks the request as aborted for the request log.
        if case .respond(let pluginAnswer) = call, pluginAnswer.endsAtShutdown { context.logFields.aborted = .shutdownGrace }
        switch (stage, call) {
        case (.requestHook, .respond(let pluginAnswer)):
            // The middleware answered in the route's place: the hooks before it see its answer.
            return handled(RouteResponse(pluginAnswer))
        case (.requestHook(let index), .proceed(let edits, let response)):
            edits.apply(to: &headers, protected: pipeline.requestProtected, owner: middlewares[index].requestOwner, logger: pipeline.logger)
            if let response {
                if firstResponseEdits == nil { firstResponseEdits = (index, response) } else { moreResponseEdits.append((index, response)) }
            }
            passed += 1
            return requestHook(from: index + 1)
        case (.route, .respond(let pluginAnswer)):
            return handled(RouteResponse(pluginAnswer))
        case (.route, .proceed):
            // proceed() on a route's call is refused in the call table and never delivered.
            preconditionFailure("a route call finished with proceed()")
        case (.responseHook(let index), .proceed(let edits, _)):
            edits.apply(to: &answer.headers, protected: pipeline.responseProtected, owner: middlewares[index].responseOwner, logger: pipeline.logger)
            return responseHook(from: index - 1)
        case (.responseHook(let index), .respond(let pluginAnswer)):
            // Only the host answers a response hook this way: its timeout (504) or a malformed answer.
            answer = RouteResponse(pluginAnswer)
            return responseHook(from: index - 1)
        case (.gate, _):
            preconditionFailure("a plugin answer during the gate")
        }
    }

    /// The answer's edits a middleware's request hook gave with `proceed_setting_response()`,
    /// applied where its response hook runs (before that hook, if it has one), once.
    private func applyResponseEdits(of index: Int) {
        let edits: HeaderEdits
        if let first = firstResponseEdits, first.index == index {
            edits = first.edits
            firstResponseEdits = nil
        } else if let position = moreResponseEdits.lastIndex(where: { $0.index == index }) {
            edits = moreResponseEdits.remove(at: position).edits
        } else {
            return
        }
        edits.apply(to: &answer.headers, protected: pipeline.responseProtected, owner: middlewares[index].requestOwner, logger: pipeline.logger)
    }

    private func responseHook(from last: Int) -> Next {
        var index = last
        while index >= 0 {
            applyResponseEdits(of: index)
            let middleware = middlewares[index].middleware
            if let hook = middleware.onResponse {
                stage = .responseHook(index)
                let owner = middlewares[index].responseOwner
                var fields = pipeline.requestFields.fields(method: request.method, path: decodedPath, query: query, headers: headers, context: context, route: route, keyName: keyName, forHook: true)
                fields.response = (Int(answer.status.code), answer.headers)
                let view = RequestView.make(fields, body: UnsafeRawBufferPointer(start: nil, count: 0))
                return .call(middleware.isNonBlocking
                    ? pipeline.caller.callInline(owner, view: view) { handle in hook(handle, view.request, view.response, middleware.userData) }
                    : pipeline.caller.callOnPool(owner, view: view) { handle in hook(handle, view.request, view.response, middleware.userData) })
            }
            index -= 1
        }
        // Set last, so no middleware can remove or change them (or written last, by the driver).
        if let limitFields, !leavesLimitFieldsToWriter { answer.headers.replaceAll(with: limitFields.fields) }
        // Handed on, not shared: the layers after the route add their fields to a list only they
        // hold, rather than copying it first (a copy retains every field's three references).
        let finished = answer
        answer = Self.noAnswerYet
        return .done(finished)
    }
}
