import Foundation

/// Gives each plugin's OpenAPI components a name of their own in the aggregated document.
///
/// A plugin writes `#/components/schemas/Item`; in the document it becomes
/// `#/components/schemas/example.Item`, so two plugins' `Item` never collide. The rewrite is
/// done on the plugin's JSON before OpenAPIKit decodes it, because a reference is just a string
/// wherever it appears (schemas, responses, parameters, nested `allOf`, ...).
struct ComponentNamespace {
    let plugin: String

    /// Component kinds a plugin may contribute. `securitySchemes` is the host's alone: the host
    /// decides and documents how routes authenticate.
    static let kinds: Set<String> = ["schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks", "pathItems"]

    /// The name OpenAPI allows for a component key.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }

    func name(_ local: String) -> String { "\(plugin).\(local)" }

    /// A Components object with every key namespaced and every local reference rewritten.
    /// Throws a message naming the first thing that cannot be used.
    func components(_ object: [String: Any]) throws(DocsProblem) -> [String: Any] {
        var result: [String: Any] = [:]
        for (kind, value) in object {
            guard Self.kinds.contains(kind) else {
                if kind == "securitySchemes" { continue }
                throw DocsProblem("components.\(kind) is not a component kind a plugin may contribute (\(Self.kinds.sorted().joined(separator: ", ")))")
            }
            guard let entries = value as? [String: Any] else { throw DocsProblem("components.\(kind) must be an object") }
            var renamed: [String: Any] = [:]
            for (local, component) in entries {
                guard Self.isValidName(local) else {
                    throw DocsProblem("components.\(kind).\(local): a component name may use only letters, digits, '.', '-' and '_'")
                }
                renamed[name(local)] = rewritingReferences(in: component)
            }
            result[kind] = renamed
        }
        return result
    }

    /// `value` with each `"$ref": "#/components/KIND/NAME"` pointing at the namespaced name.
    func rewritingReferences(in value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            var rewritten: [String: Any] = [:]
            for (key, member) in object {
                if key == "$ref", let reference = member as? String {
                    rewritten[key] = rewrittenReference(reference)
                } else {
                    rewritten[key] = rewritingReferences(in: member)
                }
            }
            return rewritten
        case let array as [Any]:
            return array.map(rewritingReferences(in:))
        default:
            return value
        }
    }

    /// The first local reference in `value` (already rewritten) that `components` (namespaced)
    /// lacks, as the plugin wrote it.
    func danglingReference(in value: Any, components: [String: Any]) -> String? {
        switch value {
        case let object as [String: Any]:
            if let reference = object["$ref"] as? String {
                let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 4, parts[0] == "#", parts[1] == "components",
                   (components[String(parts[2])] as? [String: Any])?[String(parts[3])] == nil {
                    return "#/components/\(parts[2])/\(parts[3].dropFirst(plugin.count + 1))"
                }
            }
            return object.values.lazy.compactMap { danglingReference(in: $0, components: components) }.first
        case let array as [Any]:
            return array.lazy.compactMap { danglingReference(in: $0, components: components) }.first
        default:
            return nil
        }
    }

    private func rewrittenReference(_ reference: String) -> String {
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "#", parts[1] == "components", Self.kinds.contains(String(parts[2])) else { return reference }
        return "#/components/\(parts[2])/\(name(String(parts[3])))"
    }
}

/// Why a plugin's documentation could not be used, in words for the operator.
struct DocsProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
