/// A JSON Schema (as OpenAPI 3.1 uses it) for documenting a route's bodies and parameters.
///
///     .object(["message": .string(), "count": .integer(minimum: 0)], required: ["message"])
///
/// `.ref("Greeting")` points at a schema the plugin registered with
/// ``PluginRegistrar/schema(_:_:)``; the host gives it the plugin's namespace in the document.
public struct Schema: Sendable, Encodable {
    fileprivate var fields: [String: JSONValue]

    public static func string(format: String? = nil, description: String? = nil, allowed: [String]? = nil,
                              minLength: Int? = nil, maxLength: Int? = nil) -> Schema {
        Schema(type: "string", description, [
            "format": format.map(JSONValue.string), "enum": allowed.map { .array($0.map(JSONValue.string)) },
            "minLength": minLength.map(JSONValue.int), "maxLength": maxLength.map(JSONValue.int),
        ])
    }

    public static func integer(minimum: Int? = nil, maximum: Int? = nil, description: String? = nil) -> Schema {
        Schema(type: "integer", description, ["minimum": minimum.map(JSONValue.int), "maximum": maximum.map(JSONValue.int)])
    }

    public static func number(description: String? = nil) -> Schema { Schema(type: "number", description, [:]) }

    public static func boolean(description: String? = nil) -> Schema { Schema(type: "boolean", description, [:]) }

    public static func array(of items: Schema, description: String? = nil) -> Schema {
        Schema(type: "array", description, ["items": .object(items.fields)])
    }

    /// An object with these properties; `additionalProperties` false unless `open`.
    public static func object(_ properties: [String: Schema], required: [String] = [], open: Bool = false, description: String? = nil) -> Schema {
        Schema(type: "object", description, [
            "properties": .object(properties.mapValues { .object($0.fields) }),
            "required": required.isEmpty ? nil : .array(required.map(JSONValue.string)),
            "additionalProperties": open ? nil : .bool(false),
        ])
    }

    /// Any bytes, e.g. an upload or a download of a media type the route names.
    public static func binary(description: String? = nil) -> Schema {
        Schema(type: "string", description, ["contentMediaType": .string("application/octet-stream")])
    }

    /// One of the plugin's own schemas, by the name it was registered under.
    public static func ref(_ name: String) -> Schema {
        Schema(fields: ["$ref": .string("#/components/schemas/\(name)")])
    }

    /// Anything at all.
    public static let any = Schema(fields: [:])

    private init(fields: [String: JSONValue]) { self.fields = fields }

    private init(type: String, _ description: String?, _ extra: [String: JSONValue?]) {
        fields = extra.compactMapValues { $0 }
        fields["type"] = .string(type)
        if let description { fields["description"] = .string(description) }
    }

    public func encode(to encoder: any Encoder) throws { try JSONValue.object(fields).encode(to: encoder) }
}

extension Schema {
    var json: JSONValue { .object(fields) }
}

extension JSONValue {
    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
}
