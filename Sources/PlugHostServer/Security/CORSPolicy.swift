import HTTPTypes
import Hummingbird
import PlugHostConfig

/// Cross-origin access as `[cors]` allows it, and only as it allows it. Preflight requests are
/// answered here, without authentication and without reaching any plugin. Credentials are never
/// paired with `*`: the matched origin is reflected instead, with `Vary: Origin`. `Access-Control-*`
/// headers from inner layers (plugins) are removed, so the policy is the host's alone — with CORS
/// off, none is ever sent. A step of ``HostMiddleware``: ``preflight(_:)`` before the routes,
/// ``apply(to:for:)`` on every answer they give.
struct CORSPolicy: Sendable {
    let settings: CORSSettings
    private let allowsAnyOrigin: Bool

    init(_ settings: CORSSettings) {
        self.settings = settings
        allowsAnyOrigin = settings.allowOrigins.contains("*")
    }

    /// The answer to a CORS preflight (an OPTIONS request with `Access-Control-Request-Method`
    /// and an `Origin`, with CORS on); nil for every other request.
    func preflight(_ request: Request) -> RouteResponse? {
        guard settings.enabled, let origin = request.headers[.origin],
              request.method == .options, request.headers[.accessControlRequestMethod] != nil else { return nil }
        var headers: HTTPFields = [.vary: "Origin"]
        if let allowed = allowedOriginValue(for: origin) {
            headers[.accessControlAllowOrigin] = allowed
            headers[.accessControlAllowMethods] = settings.allowMethods.joined(separator: ", ")
            headers[.accessControlAllowHeaders] = settings.allowHeaders.joined(separator: ", ")
            headers[.accessControlMaxAge] = "\(settings.maxAge)"
            if settings.allowCredentials { headers[.accessControlAllowCredentials] = "true" }
        }
        return RouteResponse(status: .noContent, headers: headers, bytes: ByteBuffer())
    }

    /// The policy's headers on an answer, and no other `Access-Control-*` header.
    func apply(to headers: inout HTTPFields, for request: Request) {
        Self.removeCORSHeaders(&headers)
        guard settings.enabled, let origin = request.headers[.origin] else { return }
        let allowed = allowedOriginValue(for: origin)
        // The answer depends on the Origin unless every origin gets the same literal `*`.
        if allowed != "*" { headers.append(HTTPField(name: .vary, value: "Origin")) }
        if let allowed {
            headers[.accessControlAllowOrigin] = allowed
            if settings.allowCredentials { headers[.accessControlAllowCredentials] = "true" }
            if !settings.exposeHeaders.isEmpty {
                headers[.accessControlExposeHeaders] = settings.exposeHeaders.joined(separator: ", ")
            }
        }
    }

    /// True when ``apply(to:for:)`` adds nothing to the answer to `request` (CORS is off, or the
    /// request names no origin): every such answer gets the same fields.
    func addsNothing(for request: Request) -> Bool {
        !settings.enabled || !request.headers.contains(.origin)
    }

    private static func removeCORSHeaders(_ headers: inout HTTPFields) {
        guard headers.contains(where: isCORS) else { return }
        headers.removeAll(where: isCORS)
    }

    /// Compared as bytes: canonical names are lowercase ASCII, and `hasPrefix` compares
    /// Unicode text (this runs for every field of every answer).
    private static func isCORS(_ field: HTTPField) -> Bool {
        field.name.canonicalName.utf8.starts(with: "access-control-".utf8)
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, or nil when it is not allowed.
    func allowedOriginValue(for origin: String) -> String? {
        if settings.allowOrigins.contains(origin) { return origin }
        guard allowsAnyOrigin else { return nil }
        // `*` with credentials is refused by browsers and would expose every origin: reflect instead.
        return settings.allowCredentials ? origin : "*"
    }
}
