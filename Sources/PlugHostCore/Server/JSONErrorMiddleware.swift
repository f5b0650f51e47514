import HTTPTypes
import Hummingbird
import Logging

/// Turns every error thrown below it — unknown path, body too large, a failure in the host —
/// into a JSON answer `{"detail": ...}` with the right status, so clients always get one shape.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
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
