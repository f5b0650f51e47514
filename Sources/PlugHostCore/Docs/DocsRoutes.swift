import Foundation
import HTTPTypes
import Hummingbird

/// `/api/openapi.json`, `/api/docs` and `/api/redoc`: open (the document says which routes need
/// a key) and not rate limited, like the static files.
enum DocsRoutes {
    static func add(to router: Router<HostRequestContext>, pipeline: RoutePipeline, document: APIDocument, pages: DocsPages) {
        BuiltinRoutes.serve(DocsPages.documentPath, on: router, pipeline: pipeline, rules: nil) { request, _, _ in
            var headers: HTTPFields = [.eTag: document.etag, .cacheControl: "no-cache"]
            if let condition = request.headers[.ifNoneMatch], condition.split(separator: ",").contains(where: {
                let tag = $0.trimmingCharacters(in: .whitespaces)
                return tag == document.etag || tag == "W/\(document.etag)" || tag == "*"
            }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
        }
        for (path, html) in [(DocsPages.swaggerPath, pages.swaggerHTML), (DocsPages.redocPath, pages.redocHTML)] {
            BuiltinRoutes.serve(path, on: router, pipeline: pipeline, rules: nil) { _, _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                                body: .init(byteBuffer: ByteBuffer(bytes: html)))
            }
        }
    }
}
