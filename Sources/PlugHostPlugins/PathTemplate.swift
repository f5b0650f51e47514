/// A route path as a plugin registers it: `/items/{id}`, always below `/api`.
///
/// Literal segments use URL path characters only; a `{name}` segment captures one whole segment.
/// Wildcards and partial captures are refused so every template means the same on every router.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public let segments: [Segment]

    /// The template as written, e.g. `/items/{id}`.
    public var description: String { "/" + segments.map { if case .parameter(let name) = $0 { "{\(name)}" } else { literalText($0) } }.joined(separator: "/") }

    /// The template with parameter names erased: two routes collide when these are equal.
    public var shape: String { "/" + segments.map { if case .parameter = $0 { "{}" } else { literalText($0) } }.joined(separator: "/") }

    public var parameterNames: [String] { segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } } }

    private func literalText(_ segment: Segment) -> String { if case .literal(let text) = segment { text } else { "" } }

    /// Parses `text`, or throws a message saying what is wrong with it.
    public init(_ text: String) throws(PathTemplateError) {
        guard text.hasPrefix("/") else { throw PathTemplateError(template: text, reason: "it must start with '/'") }
        guard text.utf8.count <= 1024 else { throw PathTemplateError(template: text, reason: "it is longer than 1024 bytes") }
        if text == "/" {
            segments = []
            return
        }
        var segments: [Segment] = []
        var names: Set<String> = []
        for part in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw PathTemplateError(template: text, reason: "it has an empty segment ('//' or a trailing '/')") }
            if part == "." || part == ".." { throw PathTemplateError(template: text, reason: "it has a '\(part)' segment, which clients resolve away") }
            if part.hasPrefix("{") {
                guard part.hasSuffix("}"), part.count > 2 else {
                    throw PathTemplateError(template: text, reason: "segment '\(part)' must be a whole '{name}'")
                }
                let name = String(part.dropFirst().dropLast())
                guard Self.isIdentifier(name) else {
                    throw PathTemplateError(template: text, reason: "parameter '\(name)' must be letters, digits and '_', not starting with a digit")
                }
                guard names.insert(name).inserted else {
                    throw PathTemplateError(template: text, reason: "parameter '\(name)' appears twice")
                }
                segments.append(.parameter(name))
            } else {
                guard part.unicodeScalars.allSatisfy(Self.isLiteralCharacter), part.first != ":" else {
                    throw PathTemplateError(template: text, reason: "segment '\(part)' may contain only letters, digits and -._~!$&'()+,;=@ (no '*', '{', '}', '%' or leading ':')")
                }
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" || ("0"..."9").contains($0) }
    }

    private static func isLiteralCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "-._~!$&'()+,;=@:".unicodeScalars.contains(scalar)
    }
}

/// Why a path template was refused.
public struct PathTemplateError: Error, CustomStringConvertible, Sendable {
    public let template: String
    public let reason: String
    public var description: String { "invalid path template '\(template)': \(reason)" }
}
