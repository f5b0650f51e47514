import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The host's own layers around every route, in one pass: the request log (outermost: it sees
/// every answer), the security headers and the CORS policy (on every answer, errors included),
/// error mapping (whatever the routes and static files throw becomes an answer), and static
/// files for paths outside `/api`. One middleware rather than five: each Hummingbird middleware
/// is a `@concurrent` call with its own executor checks and async frame, which together cost
/// more per request than the work of these layers.
struct HostMiddleware: RouterMiddleware {
    typealias Context = HostRequestContext

    let log: RequestLog
    let securityHeaders: SecurityHeaders
    let cors: CORSPolicy
    let errors: ErrorAnswers
    /// Nil when `[static]` is off or its directory does not exist.
    let staticFiles: StaticFiles?
    let logger: Logger
    /// The cached static files' finished header lists (``cachedStaticAnswer(_:context:)``).
    let finishedStatic = FinishedStaticFields()

    // @concurrent as Hummingbird's middleware protocol declares it (this package defaults to nonsending).
    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let start = log.begin(request, context: context)
        // Preflights stop here, before authentication and plugins.
        if var preflight = cors.preflight(request) {
            close(&preflight, request, context: context, start)
            return preflight.response
        }
        let outcome: Result<RouteResponse, any Error>
        do {
            if let staticFiles, !ErrorAnswers.isAPI(request.uri.path) {
                outcome = .success(RouteResponse(try await staticFiles.serve(request, context: context, next: next)))
            } else {
                outcome = .success(RouteResponse(try await next(request, context)))
            }
        } catch {
            outcome = .failure(error)
        }
        return finish(outcome, request, context: context, start).response
    }

    /// The first step of an answer made at once (``EventLoopFastPath``): without the request
    /// line, which ``announce(_:context:_:)`` writes if a step has to wait after all
    /// (``RequestLog/begin(_:context:announce:)``).
    func begin(_ request: Request, context: Context) -> RequestLog.Start {
        log.begin(request, context: context, announce: false)
    }

    /// The request line of a request begun with ``begin(_:context:)`` whose answer has to wait.
    func announce(_ request: Request, context: Context, _ start: RequestLog.Start) {
        log.announce(request, context: context, start)
    }

    /// The last steps of an answer from the routes: an error becomes its answer, then the CORS
    /// policy, the security headers and the request log's response line.
    func finish(_ outcome: Result<RouteResponse, any Error>, _ request: Request, context: Context, _ start: RequestLog.Start) -> RouteResponse {
        var answer: RouteResponse
        switch outcome {
        case .success(let routed): answer = routed
        case .failure(let error): answer = errors.answer(for: error, to: request, logger: logger)
        }
        finish(&answer, request, context: context, start)
        return answer
    }

    /// The same steps for an answer the caller holds alone, changed where it is: the host's
    /// fields join a header list nothing else holds, without copying it first (``EventLoopFastPath``).
    /// `securityHeadersAsBytes`: the security headers are left to the codec, which writes them
    /// as ``SecurityHeaders/bytes`` (``EventLoopFastPath``).
    func finish(_ answer: inout RouteResponse, _ request: Request, context: Context, _ start: RequestLog.Start, securityHeadersAsBytes: Bool = false) {
        cors.apply(to: &answer.headers, for: request)
        close(&answer, request, context: context, start, securityHeaders: !securityHeadersAsBytes)
    }

    /// The whole answer to a plain `GET` of a static file the cache holds, through the same
    /// layers as ``handle(_:context:next:)``, without suspending: for ``EventLoopFastPath``. Nil for
    /// any other request (and for a cache miss), which takes the full path. `dated`: the head has
    /// its `Date` already.
    func cachedStaticAnswer(_ request: Request, context: Context) -> (head: HTTPResponse, body: ByteBuffer, dated: Bool)? {
        guard let staticFiles, !ErrorAnswers.isAPI(request.uri.path), cors.preflight(request) == nil,
              let cached = staticFiles.cachedAnswer(request, context: context) else { return nil }
        // Answered here and now: the response line is the request's one line.
        let start = log.begin(request, context: context, announce: false)
        let path = request.uri.path
        // CORS and the security headers, as every answer gets them.
        func layered(_ headers: HTTPFields) -> HTTPFields {
            var answer = RouteResponse(status: cached.response.status, headers: headers, bytes: cached.body)
            cors.apply(to: &answer.headers, for: request)
            securityHeaders.apply(to: &answer.headers, path: path)
            return answer.headers
        }
        let fields: HTTPFields
        let dated = cors.addsNothing(for: request)
        if dated {
            // The layers give every answer of this file the same fields: made once a second.
            fields = finishedStatic.fields(for: path, base: cached.response.headers) { base in
                var fields = layered(base)
                dateField.set(in: &fields)
                return fields
            }
        } else {
            fields = layered(cached.response.headers)
        }
        log.end(request, context: context, start, status: cached.response.status)
        return (HTTPResponse(status: cached.response.status, headerFields: fields), cached.body, dated)
    }

    /// The last steps of every answer: the security headers (unless the codec writes them), then
    /// the request log's response line.
    private func close(_ answer: inout RouteResponse, _ request: Request, context: Context, _ start: RequestLog.Start, securityHeaders apply: Bool = true) {
        if apply { securityHeaders.apply(to: &answer.headers, path: request.uri.path) }
        log.end(request, context: context, start, status: answer.status)
    }
}
