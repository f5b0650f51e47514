import HTTPTypes
import Hummingbird
import Logging
import PlugHostPlugins

/// Turns every error thrown below it — unknown path, body too large, a failure in the host —
/// into one answer shape: JSON `{"detail": ...}` under `/api`, and the site's `404.html` (or the
/// SPA's `index.html`) for missing pages elsewhere. A step of ``HostMiddleware``, for whatever the
/// routes and static files throw.
struct ErrorAnswers: Sendable {
    let notFoundPage: NotFoundPage?
    let allowedMethods: AllowedMethods

    func answer(for error: any Error, to request: Request, logger: Logger) -> RouteResponse {
        if let error = error as? any HTTPResponseError, error.status == .notFound {
            guard Self.isAPI(request.uri.path) else {
                return Self.page(notFoundPage, request) ?? Self.response(.notFound, Self.defaultDetail(.notFound, request))
            }
            let allowed = allowedMethods.methods(at: request.uri.path)
            guard !allowed.isEmpty else { return Self.response(.notFound, Self.defaultDetail(.notFound, request)) }
            // GET implies HEAD (the router answers it).
            let list = (allowed.contains("GET") && !allowed.contains("HEAD") ? allowed + ["HEAD"] : allowed).sorted().joined(separator: ", ")
            return Self.response(.methodNotAllowed, "Method \(request.method) is not allowed on \(request.uri.path); it serves \(list).",
                                 extraHeaders: [.allow: list])
        }
        if let error = error as? HTTPError {
            return Self.response(error.status, error.body ?? Self.defaultDetail(error.status, request), extraHeaders: error.headers)
        }
        if let error = error as? any HTTPResponseError {
            return Self.response(error.status, error.status.reasonPhrase)
        }
        logger.error("unhandled error on \(request.method) \(request.uri.path): \(error)")
        return Self.response(.internalServerError, "Internal server error.")
    }

    static func isAPI(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }

    /// The HTML page for a missing non-API path, if the site has one.
    static func page(_ page: NotFoundPage?, _ request: Request) -> RouteResponse? {
        guard let page, let body = page.body() else { return nil }
        let isHead = request.method == .head
        return RouteResponse(
            status: page.isSPAFallback ? .ok : .notFound,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: "\(body.count)"],
            bytes: isHead ? ByteBuffer() : ByteBuffer(bytes: body)
        )
    }

    static func defaultDetail(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: "Not found: no route for \(request.method) \(request.uri.path)."
        case .contentTooLarge: "The request body is larger than this server accepts."
        default: status.reasonPhrase
        }
    }

    static func response(_ status: HTTPResponse.Status, _ detail: String, extraHeaders: HTTPFields = [:]) -> RouteResponse {
        var headers = extraHeaders
        headers[.contentType] = "application/json"
        return RouteResponse(status: status, headers: headers, bytes: ByteBuffer(string: ErrorBody.json(detail)))
    }

    /// What a route's handler throws (413, 400, ...) as the answer the response hooks see.
    static func response(_ error: HTTPError) -> RouteResponse {
        response(error.status, error.body ?? error.status.reasonPhrase, extraHeaders: error.headers)
    }
}
