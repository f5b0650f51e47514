import OpenAPIKit
import PlugHostDocs

/// What the host documents on every operation, because the host enforces it: authentication,
/// rate limits, body size and handler timeouts. Plugin authors get these for free and cannot
/// contradict them.
enum HostDocumentation {
    static let securityScheme = "APIKeyHeader"

    /// The host's own components: the security scheme and the answers it gives itself. Their
    /// names have no dot, so no plugin's (always `plugin.Name`) can collide with them.
    static func components(authHeader: String) -> OpenAPI.Components {
        let detail = JSONSchema.object(
            description: "An error the host answered itself.",
            properties: ["detail": .string(description: "What went wrong, in words.")]
        )
        let problem = JSONSchema.object(
            description: "RFC 9457 problem details.",
            properties: [
                "type": .string, "title": .string, "status": .integer, "detail": .string,
                "policy": .string(description: "The rate-limit policy item that refused the request."),
            ]
        )
        let rateLimitHeaders: OpenAPI.Header.Map = [
            "RateLimit-Policy": .b(OpenAPI.Header(schema: .string, description: "The policy: quota and window (IETF draft-11).", required: true)),
            "RateLimit": .b(OpenAPI.Header(schema: .string, description: "Remaining quota and seconds to reset (IETF draft-11).", required: true)),
            "Retry-After": .b(OpenAPI.Header(schema: .integer(minimum: (0, exclusive: false)), description: "Seconds to wait before retrying.", required: true)),
        ]
        func json(_ description: String, _ schema: String, type: OpenAPI.ContentType = .json, headers: OpenAPI.Header.Map? = nil) -> OpenAPI.Response {
            OpenAPI.Response(description: description, headers: headers,
                             content: [type: .b(OpenAPI.Content(schemaReference: .component(named: schema)))])
        }
        return OpenAPI.Components(
            schemas: ["ErrorDetail": detail, "RateLimitProblem": problem],
            responses: [
                "Unauthorized": .b(json("No API key, or an unknown, revoked or expired one.", "ErrorDetail", headers: [
                    "WWW-Authenticate": .b(OpenAPI.Header(schema: .string, description: "How to authenticate.", required: true)),
                ])),
                "Forbidden": .b(json("The API key lacks the scope this route requires.", "ErrorDetail")),
                "TooManyRequests": .b(json("Rate limit exceeded.", "RateLimitProblem", type: .other("application/problem+json"), headers: rateLimitHeaders)),
                "RateLimitUnavailable": .b(json("The shared rate-limit store is unreachable and the host is configured to refuse.", "RateLimitProblem",
                                               type: .other("application/problem+json"), headers: [
                                                   "RateLimit-Policy": rateLimitHeaders["RateLimit-Policy"]!,
                                                   "Retry-After": rateLimitHeaders["Retry-After"]!,
                                               ])),
                "ContentTooLarge": .b(json("The request body is larger than the route accepts ([limits] max_body_size, or the route's own limit).", "ErrorDetail")),
                "GatewayTimeout": .b(json("The plugin did not answer within [server] handler_timeout.", "ErrorDetail")),
            ],
            securitySchemes: [
                OpenAPI.ComponentKey(rawValue: securityScheme)!: .b(.apiKey(name: authHeader, location: .header,
                                           description: "An API key made with `plughost keys new`. Sent in the \(authHeader) header.")),
            ]
        )
    }

    /// Adds what the host enforces to `operation`, replacing what a plugin may have said about it.
    static func apply(_ enforcement: DocsInput.Enforcement, to operation: inout OpenAPI.Operation) {
        func add(_ status: Int, _ component: String) {
            operation.responses[.status(code: status)] = .reference(.component(named: component))
        }
        if enforcement.requiresAuth {
            operation.security = [[.component(named: securityScheme): []]]
            add(401, "Unauthorized")
            if let scope = enforcement.scope {
                add(403, "Forbidden")
                let note = "Requires an API key with the scope `\(scope)`."
                operation.description = [operation.description, note].compactMap { $0 }.joined(separator: "\n\n")
            }
        } else {
            operation.security = nil
        }
        if enforcement.rateLimited {
            add(429, "TooManyRequests")
            if enforcement.storeOutageRefuses { add(503, "RateLimitUnavailable") }
        }
        if enforcement.pluginHandler {
            add(413, "ContentTooLarge")
            add(504, "GatewayTimeout")
        }
    }

    /// Every `{name}` of the template as a required string path parameter, unless the plugin
    /// described it; path parameters the template lacks are dropped (they would make the
    /// document invalid and could never be sent).
    static func reconcilePathParameters(_ names: [String], in operation: inout OpenAPI.Operation) {
        operation.parameters.removeAll { parameter in
            guard case .b(let value) = parameter, value.location == .path else { return false }
            return !names.contains(value.name)
        }
        for name in names where !operation.parameters.contains(where: { parameter in
            if case .b(let value) = parameter { return value.location == .path && value.name == name }
            return false
        }) {
            operation.parameters.append(.b(.path(name: name, schema: .string)))
        }
    }

    /// The operation for a route its plugin did not (usably) document.
    static func minimalOperation(method: String, path: String, plugin: String) -> OpenAPI.Operation {
        OpenAPI.Operation(
            summary: "\(method) \(path)",
            description: "Not documented by the plugin `\(plugin)`.",
            responses: [.default: .b(OpenAPI.Response(description: "The plugin's answer."))]
        )
    }
}
