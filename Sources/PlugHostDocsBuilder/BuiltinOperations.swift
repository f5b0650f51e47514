import OpenAPIKit
import PlugHostConfig

/// How the host documents its own API routes.
enum BuiltinOperations {
    static func operation(for kind: BuiltinRoute.Kind, path: String) -> OpenAPI.Operation {
        switch kind {
        case .health:
            operation("Health check", "Answers 200 while the host is running. Open and not rate limited, for load balancers.", statusMessage)
        case .login:
            operation("Check an API key", "Answers 200 when the key in the header is valid. Rate limited, which slows key guessing.", statusMessage)
        case .metrics:
            operation("Prometheus metrics", "Requests, latencies, rate-limit refusals and plugin metrics in the Prometheus text format.",
                      [.other("text/plain"): .b(OpenAPI.Content(schema: .string))])
        case .plugins:
            operation("Loaded plugins", "Every plugin the host loaded, with its routes, and every file it refused, with the reason.", object)
        case .config:
            operation("Effective configuration", "host.toml as the host reads it, defaults filled in; secrets are never shown.", object)
        case .openAPIDocument, .swaggerUI, .redoc:
            operation(path, "", object)
        }
    }

    private static let statusMessage: OpenAPI.Content.Map = [.json: .b(OpenAPI.Content(schema: .object(properties: [
        "message": .string,
        "timestamp": .string(format: .dateTime),
    ])))]

    private static let object: OpenAPI.Content.Map = [.json: .b(OpenAPI.Content(schema: .object))]

    private static func operation(_ summary: String, _ description: String, _ content: OpenAPI.Content.Map) -> OpenAPI.Operation {
        OpenAPI.Operation(summary: summary, description: description.isEmpty ? nil : description,
                          responses: [200: .b(OpenAPI.Response(description: "OK", content: content))])
    }
}
