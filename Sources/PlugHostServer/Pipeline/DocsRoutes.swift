import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import PlugHostConfig
import PlugHostDocs

/// The answers of `/api/openapi.json`, `/api/docs` and `/api/redoc`: open (the document says
/// which routes need a key) and not rate limited, like the static files.
struct DocsRoutes: Sendable {
    let document: APIDocument
    let pages: DocsPages

    func handler(for kind: BuiltinRoute.Kind) -> BuiltinRouteHandlers.Handler? {
        let document = document
        switch kind {
        case .openAPIDocument:
            return { request, _ in
                var headers: HTTPFields = [.eTag: document.etag, .cacheControl: "no-cache"]
                if let condition = request.headers[.ifNoneMatch], condition.split(separator: ",").contains(where: {
                    let tag = $0.trimmingEnds(where: \.isHorizontalWhitespace)
                    return tag == document.etag || tag == "W/\(document.etag)" || tag == "*"
                }) {
                    return Response(status: .notModified, headers: headers)
                }
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
            }
        case .swaggerUI: return Self.page(pages.swaggerHTML)
        case .redoc: return Self.page(pages.redocHTML)
        default: return nil
        }
    }

    private static func page(_ html: [UInt8]) -> BuiltinRouteHandlers.Handler {
        { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(bytes: html)))
        }
    }
}
