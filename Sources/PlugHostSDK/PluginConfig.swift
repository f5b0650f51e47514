import FoundationEssentials
import Glibc

/// The plugin's `[plugins.NAME]` table from host.toml.
///
/// Decode it into your own `Decodable` type, or read single values:
/// ```swift
/// struct Settings: Decodable { var greeting: String = "Hello" }
/// let settings = try plugin.config.decode(Settings.self)
/// let greeting = plugin.config["greeting"]?.stringValue ?? "Hello"
/// ```
public struct PluginConfig: Sendable {
    /// The table as JSON, exactly as the host handed it over.
    public let json: [UInt8]
    private let values: [String: JSONValue]

    init(json: [UInt8]) {
        self.json = json
        self.values = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(json))) ?? [:]
    }

    /// Decodes the whole table into `type`; the error names the key that did not fit.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(json))
    }

    /// The value of one key, if present.
    public subscript(_ key: String) -> JSONValue? { values[key] }
}

/// A JSON value, as TOML values arrive through the host.
public enum JSONValue: Sendable, Hashable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    public var numberValue: Double? { if case .number(let value) = self { value } else { nil } }
    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}
