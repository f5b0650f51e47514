import HTTPTypes
import Hummingbird
import Logging
import PlugHostPlugins

/// Turns every error thrown below it — unknown path, body too large, a failure in the host —
/// into one answer shape: JSON `{"detail": ...}` under `/api`, and the site's `404.html` (or the
/// SPA's `index.html`) for missing pages elsewhere.
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let notFoundPage: NotFoundPage?
    let allowedMethods: AllowedMethods

    // @concurrent as Hummingbird's middleware protocol declares it (this package defaults to nonsending).
    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound && !Self.isAPI(request.uri.path) {
            return Self.page(notFoundPage, request) ?? Self.response(.notFound, Self.defaultDetail(.notFound, request))
        } catch let error as any HTTPResponseError where error.status == .notFound {
            let allowed = allowedMethods.methods(at: request.uri.path)
            guard !allowed.isEmpty else { return Self.response(.notFound, Self.defaultDetail(.notFound, request)) }
            // GET implies HEAD (the router answers it).
            let list = (allowed.contains("GET") && !allowed.contains("HEAD") ? allowed + ["HEAD"] : allowed).sorted().joined(separator: ", ")
            return Self.response(.methodNotAllowed, "Method \(request.method) is not allowed on \(request.uri.path); it serves \(list).",
                                 extraHeaders: [.allow: list])
        } catch let error as HTTPError {
            let detail = error.body ?? Self.defaultDetail(error.status, request)
            return Self.response(error.status, detail, extraHeaders: error.headers)
        } catch let error as any HTTPResponseError {
            return Self.response(error.status, error.status.reasonPhrase)
        } catch {
            context.logger.error("unhandled error on \(request.method) \(request.uri.path): \(error)")
            return Self.response(.internalServerError, "Internal server error.")
        }
    }

    static func isAPI(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }

    /// The HTML page for a missing non-API path, if the site has one.
    static func page(_ page: NotFoundPage?, _ request: Request) -> Response? {
        guard let page, let body = page.body() else { return nil }
        let isHead = request.method == .head
        return Response(
            status: page.isSPAFallback ? .ok : .notFound,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: "\(body.count)"],
            body: isHead ? .init() : .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    static func defaultDetail(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: "Not found: no route for \(request.method) \(request.uri.path)."
        case .contentTooLarge: "The request body is larger than this server accepts."
        default: status.reasonPhrase
        }
    }

    static func response(_ status: HTTPResponse.Status, _ detail: String, extraHeaders: HTTPFields = [:]) -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ErrorBody.json(detail))))
    }
}
