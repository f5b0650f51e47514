import HTTPTypes
import Hummingbird
import PlugHostConfig

/// Cross-origin access as `[cors]` allows it, and only as it allows it. Preflight requests are
/// answered here, without authentication and without reaching any plugin. Credentials are never
/// paired with `*`: the matched origin is reflected instead, with `Vary: Origin`. `Access-Control-*`
/// headers from inner layers (plugins) are removed, so the policy is the host's alone — with CORS
/// off, none is ever sent.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let settings: CORSSettings
    private let allowsAnyOrigin: Bool

    init(_ settings: CORSSettings) {
        self.settings = settings
        allowsAnyOrigin = settings.allowOrigins.contains("*")
    }

    // @concurrent as Hummingbird's middleware protocol declares it (this package defaults to nonsending).
    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        guard settings.enabled, let origin = request.headers[.origin] else {
            return Self.withoutCORSHeaders(try await next(request, context))
        }
        let allowed = allowedOriginValue(for: origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [.vary: "Origin"]
            if let allowed {
                headers[.accessControlAllowOrigin] = allowed
                headers[.accessControlAllowMethods] = settings.allowMethods.joined(separator: ", ")
                headers[.accessControlAllowHeaders] = settings.allowHeaders.joined(separator: ", ")
                headers[.accessControlMaxAge] = "\(settings.maxAge)"
                if settings.allowCredentials { headers[.accessControlAllowCredentials] = "true" }
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = Self.withoutCORSHeaders(try await next(request, context))
        // The answer depends on the Origin unless every origin gets the same literal `*`.
        if allowed != "*" { response.headers.append(HTTPField(name: .vary, value: "Origin")) }
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            if settings.allowCredentials { response.headers[.accessControlAllowCredentials] = "true" }
            if !settings.exposeHeaders.isEmpty {
                response.headers[.accessControlExposeHeaders] = settings.exposeHeaders.joined(separator: ", ")
            }
        }
        return response
    }

    private static func withoutCORSHeaders(_ response: Response) -> Response {
        guard response.headers.contains(where: { $0.name.canonicalName.hasPrefix("access-control-") }) else { return response }
        var response = response
        response.headers = HTTPFields(response.headers.filter { !$0.name.canonicalName.hasPrefix("access-control-") })
        return response
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, or nil when it is not allowed.
    func allowedOriginValue(for origin: String) -> String? {
        if settings.allowOrigins.contains(origin) { return origin }
        guard allowsAnyOrigin else { return nil }
        // `*` with credentials is refused by browsers and would expose every origin: reflect instead.
        return settings.allowCredentials ? origin : "*"
    }
}
