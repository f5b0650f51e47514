import HTTPTypes
import Hummingbird

/// Sets the security headers on every response — plugin routes, built-ins, errors, 404s, static
/// files — replacing whatever an inner layer or a plugin set, so none can drop or weaken them.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let fields: [(HTTPField.Name, String)]

    init(_ settings: SecurityHeaderSettings) {
        var hsts = "max-age=\(settings.hstsMaxAge)"
        if settings.hstsIncludeSubdomains { hsts += "; includeSubDomains" }
        let all: [(HTTPField.Name, String)] = [
            (.strictTransportSecurity, hsts),
            (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
            (HTTPField.Name("X-Frame-Options")!, settings.frameOptions),
            (.contentSecurityPolicy, settings.contentSecurityPolicy),
            (HTTPField.Name("X-XSS-Protection")!, settings.xssProtection),
            (HTTPField.Name("Referrer-Policy")!, settings.referrerPolicy),
        ]
        // An empty value (e.g. content_security_policy = "") means: do not send that header.
        fields = all.filter { !$0.1.isEmpty }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        apply(to: &response.headers)
        return response
    }

    func apply(to headers: inout HTTPFields) {
        for (name, value) in fields { headers[name] = value }
    }
}
