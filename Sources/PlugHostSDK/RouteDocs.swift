import FoundationEssentials
import Glibc

/// A route's OpenAPI Operation, for the host's aggregated `/api/openapi.json`, built in Swift:
///
///     docs: RouteDocs(
///         summary: "Greet someone",
///         parameters: [.path("name", "Who to greet")],
///         responses: [200: .json(.ref("Greeting"), "The greeting")]
///     )
///
/// The host adds what it enforces itself (the API key, 401/403, 429, 413, 504, the plugin's tag),
/// so describe only what the handler does. `RouteDocs.json(...)` takes an Operation as raw JSON.
public struct RouteDocs: Sendable {
    let json: String

    public init(summary: String? = nil, description: String? = nil, parameters: [Parameter] = [], body: Body? = nil,
                responses: [Int: Reply] = [:], deprecated: Bool = false) {
        var operation: [String: JSONValue] = [:]
        if let summary { operation["summary"] = .string(summary) }
        if let description { operation["description"] = .string(description) }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters.map(\.json)) }
        if let body { operation["requestBody"] = body.json }
        if !responses.isEmpty {
            operation["responses"] = .object(Dictionary(uniqueKeysWithValues: responses.map { (String($0.key), $0.value.json) }))
        }
        if deprecated { operation["deprecated"] = .bool(true) }
        json = JSONValue.object(operation).encoded
    }

    private init(raw: String) { json = raw }

    /// An OpenAPI 3.1 Operation object written as JSON by hand.
    public static func json(_ operation: String) -> RouteDocs { RouteDocs(raw: operation) }

    /// A query, header or path parameter.
    public struct Parameter: Sendable {
        let json: JSONValue

        public static func path(_ name: String, _ description: String? = nil, schema: Schema = .string()) -> Parameter {
            make(name, "path", description, required: true, schema)
        }

        public static func query(_ name: String, _ description: String? = nil, required: Bool = false, schema: Schema = .string()) -> Parameter {
            make(name, "query", description, required: required, schema)
        }

        public static func header(_ name: String, _ description: String? = nil, required: Bool = false, schema: Schema = .string()) -> Parameter {
            make(name, "header", description, required: required, schema)
        }

        private static func make(_ name: String, _ location: String, _ description: String?, required: Bool, _ schema: Schema) -> Parameter {
            var fields: [String: JSONValue] = ["name": .string(name), "in": .string(location), "required": .bool(required), "schema": schema.json]
            if let description { fields["description"] = .string(description) }
            return Parameter(json: .object(fields))
        }
    }

    /// The request body the route reads.
    public struct Body: Sendable {
        let json: JSONValue

        public static func json(_ schema: Schema, _ description: String? = nil, required: Bool = true) -> Body {
            content(["application/json": schema], description, required: required)
        }

        /// Bodies by media type, e.g. `["text/plain": .string(), "application/octet-stream": .binary()]`.
        public static func content(_ types: [String: Schema], _ description: String? = nil, required: Bool = true) -> Body {
            var fields: [String: JSONValue] = ["content": mediaTypes(types), "required": .bool(required)]
            if let description { fields["description"] = .string(description) }
            return Body(json: .object(fields))
        }
    }

    /// One documented answer.
    public struct Reply: Sendable {
        let json: JSONValue

        public static func json(_ schema: Schema, _ description: String) -> Reply { content(["application/json": schema], description) }

        public static func content(_ types: [String: Schema], _ description: String) -> Reply {
            Reply(json: .object(["description": .string(description), "content": mediaTypes(types)]))
        }

        /// An answer without a body.
        public static func empty(_ description: String) -> Reply { Reply(json: .object(["description": .string(description)])) }
    }

    private static func mediaTypes(_ types: [String: Schema]) -> JSONValue {
        .object(types.mapValues { .object(["schema": $0.json]) })
    }
}

extension JSONValue {
    /// Compact JSON with sorted keys, as handed to the host.
    var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
