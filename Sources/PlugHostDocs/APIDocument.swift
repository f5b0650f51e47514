import Crypto
import FoundationEssentials
import PlugHostConfig

/// The aggregated OpenAPI document, made once when the host starts (PlugHostDocsBuilder makes it,
/// in the worker's own process or in `plughost docs-build`).
public struct APIDocument: Sendable, Codable {
    /// `application/json` bytes of the document.
    public let json: [UInt8]
    /// A strong validator of `json`, for `If-None-Match`.
    public let etag: String
    /// Plugin documentation the host could not use, one entry per route or components object.
    public let warnings: [DocsWarning]

    public init(json: [UInt8], etag: String, warnings: [DocsWarning]) {
        self.json = json
        self.etag = etag
        self.warnings = warnings
    }

    /// `json` with its ETag: the first 16 bytes of its SHA-256, in hex.
    public init(json: [UInt8], warnings: [DocsWarning]) {
        self.init(json: json, etag: "\"\(HexDigest.text(SHA256.hash(data: json).prefix(16)))\"", warnings: warnings)
    }

    /// A document without paths, served when the real one could not be made; `problem` says why,
    /// as a warning (logged, and refused by `[plugins] strict = true`).
    public init(unavailable info: DocsInput.Info, problem: String) {
        let document = JSONValue.object([
            "openapi": .string("3.1.1"),
            "info": .object(["title": .string(info.title), "version": .string(info.version), "description": .string(info.description)]),
            "paths": .object([:]),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(document)).map(Array.init) ?? Array(#"{"openapi":"3.1.1"}"#.utf8)
        self.init(json: json, warnings: [DocsWarning(subject: .unavailable, problem: problem)])
    }

    /// Makes the document from what it is made of; how depends on the process (``DocsInput``).
    public typealias Maker = @Sendable (DocsInput) -> APIDocument

    private enum CodingKeys: String, CodingKey { case json, etag, warnings }

    // The document as text, not as an array of numbers: it crosses from `plughost docs-build`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        json = Array(try container.decode(String.self, forKey: .json).utf8)
        etag = try container.decode(String.self, forKey: .etag)
        warnings = try container.decode([DocsWarning].self, forKey: .warnings)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(decoding: json, as: UTF8.self), forKey: .json)
        try container.encode(etag, forKey: .etag)
        try container.encode(warnings, forKey: .warnings)
    }
}

/// Documentation the host could not use, and what it did instead.
public struct DocsWarning: Sendable, Codable, CustomStringConvertible {
    public enum Subject: Sendable, Codable {
        /// A plugin route's operation, e.g. `GET /api/items/{id}`.
        case operation(plugin: String, file: String, route: String)
        /// A plugin's components object.
        case components(plugin: String, file: String)
        /// The combined document (each part was valid alone).
        case document
        /// The document as a whole could not be made (its builder failed).
        case unavailable
    }

    public let subject: Subject
    public let problem: String

    public init(subject: Subject, problem: String) {
        self.subject = subject
        self.problem = problem
    }

    public var description: String {
        switch subject {
        case .operation(let plugin, let file, let route):
            "plugin '\(plugin)' (\(file)) route \(route): its OpenAPI operation is not used: \(problem). "
                + "The route is served and documented with a minimal operation; fix the JSON the plugin passes as openapi_json."
        case .components(let plugin, let file):
            "plugin '\(plugin)' (\(file)): its OpenAPI components are not used: \(problem). "
                + "Operations that reference them are documented minimally; fix the JSON the plugin passes to openapi_components."
        case .document:
            "the aggregated OpenAPI document does not validate: \(problem). It is served anyway; the parts named above clash."
        case .unavailable:
            "the OpenAPI document could not be made: \(problem). /api/openapi.json serves one without paths."
        }
    }
}
