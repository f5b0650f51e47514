import HTTPTypes
import Hummingbird
import PlugHostConfig

/// Sets the security headers on every response — plugin routes, built-ins, errors, 404s, static
/// files — replacing whatever an inner layer or a plugin set, so none can drop or weaken them
/// (a step of ``HostMiddleware``, on every answer it returns).
struct SecurityHeaders: Sendable {
    /// Made once: appending them costs no per-request check of their values.
    let fields: HTTPFields
    /// Pages of the host's own that need a policy of their own (the docs pages), by exact path.
    let pagePolicies: [String: String]
    /// The same fields and the `Date`, as the bytes the fast path's HTTP/1.1 answers end with.
    let bytes: HostFieldBytes

    /// `pagePolicies` replace the site's Content-Security-Policy on those paths, unless the
    /// operator switched the header off.
    init(_ settings: SecurityHeaderSettings, pagePolicies: [String: String] = [:]) {
        self.pagePolicies = settings.contentSecurityPolicy.isEmpty ? [:] : pagePolicies
        var hsts = "max-age=\(settings.hstsMaxAge)"
        if settings.hstsIncludeSubdomains { hsts += "; includeSubDomains" }
        let all: [(HTTPField.Name, String)] = [
            (.strictTransportSecurity, hsts),
            (.xContentTypeOptions, "nosniff"),
            (.xFrameOptions, settings.frameOptions),
            (.contentSecurityPolicy, settings.contentSecurityPolicy),
            (.xXSSProtection, settings.xssProtection),
            (.referrerPolicy, settings.referrerPolicy),
        ]
        // An empty value (e.g. content_security_policy = "") means: do not send that header.
        fields = HTTPFields(all.filter { !$0.1.isEmpty }.map { HTTPField(name: $0.0, value: $0.1) })
        bytes = HostFieldBytes(securityHeaders: fields, date: dateField)
    }

    /// True when the answer to `path` gets exactly ``fields`` (not a page's own policy), so that
    /// ``bytes`` may stand for them.
    func areUniform(for path: String) -> Bool {
        pagePolicies.isEmpty || pagePolicies[path] == nil
    }

    /// The headers of the answer to `path` (a docs page has a policy of its own).
    func apply(to headers: inout HTTPFields, path: String) {
        apply(to: &headers)
        if !pagePolicies.isEmpty, let policy = pagePolicies[path] {
            headers[.contentSecurityPolicy] = policy
        }
    }

    func apply(to headers: inout HTTPFields) {
        headers.replaceAll(with: fields)
    }
}

/// The security headers' names, shared with the middleware chain that protects them.
extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let xXSSProtection = HTTPField.Name("X-XSS-Protection")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
