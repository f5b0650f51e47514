import FoundationEssentials
import PlugHostConfig

/// Checks responses against the routes' own response descriptions in the aggregated OpenAPI
/// document (the bytes `/api/openapi.json` serves): the status must be documented (exactly, as
/// `2XX`, or by `default`), and a JSON body must be valid against the documented schema. Used by
/// the test kit and `plughost plugins test`, so a plugin's docs cannot drift from its responses
/// unnoticed. The host itself never checks responses while it serves (docs/API-DOCS.md).
///
/// It reads the served JSON, not OpenAPIKit's model, so that it checks exactly what clients get,
/// and follows `$ref`s as it meets them (a recursive schema is fine).
public struct DocumentedResponses: Sendable {
    private let document: JSONValue

    /// The request methods OpenAPI names as path item members.
    private static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// nil when `json` is not a JSON object.
    public init?(document json: [UInt8]) {
        guard let document = JSONValue.parse(json), case .object = document else { return nil }
        self.document = document
    }

    /// Why the response differs from the route's description, in one line naming the route, the
    /// status and the field; nil when it matches, or when no documented route serves `path`.
    public func problem(method: String, path: String, status: Int, contentType: String?, body: [UInt8]) -> String? {
        guard let (template, item) = pathItem(for: path) else { return nil }
        let method = method.lowercased()
        // HEAD is answered by the GET route unless a HEAD route is documented; it has no body.
        guard let operation = resolve(item[method] ?? (method == "head" ? item["get"] : nil)) else { return nil }
        let route = "\(method.uppercased()) \(template)"
        guard case .object(let responses)? = resolve(operation["responses"]) else {
            return "\(route) answered \(status), but its OpenAPI description has no responses"
        }
        let classKey = "\(status / 100)XX"
        guard let response = resolve(responses["\(status)"] ?? responses[classKey] ?? responses[classKey.lowercased()] ?? responses["default"]) else {
            let documented = responses.keys.sorted().joined(separator: ", ")
            return "\(route) answered \(status), a status its OpenAPI description does not document: responses has no \"\(status)\", \"\(classKey)\" or \"default\" (documented: \(documented))"
        }
        guard method != "head", !body.isEmpty, case .object(let content)? = resolve(response["content"]), !content.isEmpty else { return nil }
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingEnds(where: \.isHorizontalWhitespace).lowercased() } ?? ""
        let isJSON = mediaType == "application/json" || mediaType.hasSuffix("+json")
        let major = mediaType.split(separator: "/").first.map(String.init) ?? ""
        guard let media = content[mediaType] ?? content["\(major)/*"] ?? content["*/*"] ?? (isJSON ? content["application/json"] : nil) else {
            return "\(route) answered \(status) with Content-Type \(mediaType.isEmpty ? "(none)" : mediaType), which its OpenAPI description does not list: content has \(content.keys.sorted().joined(separator: ", "))"
        }
        guard isJSON, let schema = media["schema"] else { return nil }
        guard let value = JSONValue.parse(body) else {
            return "\(route) answered \(status) with Content-Type \(mediaType), but the body is not JSON"
        }
        var checker = SchemaCheck(document: document)
        guard let mismatch = checker.check(value, against: schema, at: "$") else { return nil }
        return "\(route) answered \(status) with a body that does not match its documented schema: \(mismatch.path): \(mismatch.problem)"
    }

    /// The path item whose template serves `path`: literal segments must be equal, `{name}`
    /// takes any one segment; the template with the most literal segments wins, as in the router.
    private func pathItem(for path: String) -> (String, JSONValue)? {
        guard case .object(let paths)? = document["paths"] else { return nil }
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/", omittingEmptySubsequences: false) } ?? []
        var best: (template: String, item: JSONValue, literals: Int)?
        for (template, item) in paths {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            var literals = 0
            var matches = true
            for (part, segment) in zip(parts, segments) {
                if part.hasPrefix("{"), part.hasSuffix("}"), !segment.isEmpty { continue }
                guard part == segment else { matches = false; break }
                literals += 1
            }
            if matches, literals > best?.literals ?? -1, let item = resolve(item) { best = (template, item, literals) }
        }
        return best.map { ($0.template, $0.item) }
    }

    /// `value`, or what its `$ref` points to in the document.
    private func resolve(_ value: JSONValue?) -> JSONValue? {
        var value = value
        for _ in 0..<16 {
            guard let reference = value?["$ref"]?.stringValue else { return value }
            value = SchemaCheck.pointer(reference, in: document)
        }
        return nil
    }
}

/// One difference between a value and a schema: where (`$.items[0].name`) and what.
struct SchemaMismatch {
    let path: String
    let problem: String
}

/// JSON Schema (2020-12, as OpenAPI 3.1 uses it), the parts a response description uses: `type`
/// (one or several), `nullable` (3.0), `enum`, `const`, `properties`, `required`,
/// `additionalProperties`, `items`, `allOf`, `anyOf`, `oneOf`, `not`, lengths and bounds, and
/// local `$ref`s. Formats and the rest are not checked.
struct SchemaCheck {
    let document: JSONValue
    /// How many schemas deep the check is: a `$ref` loop that consumes no value stops here.
    private var depth = 0

    init(document: JSONValue) {
        self.document = document
    }

    /// The first difference found, or nil.
    mutating func check(_ value: JSONValue, against schema: JSONValue, at path: String) -> SchemaMismatch? {
        depth += 1
        defer { depth -= 1 }
        guard depth < 256 else { return SchemaMismatch(path: path, problem: "the schema refers to itself without end") }
        switch schema {
        case .bool(let allowed):
            return allowed ? nil : SchemaMismatch(path: path, problem: "no value is allowed here (schema false)")
        case .object:
            break
        default:
            return nil
        }
        if let reference = schema["$ref"]?.stringValue {
            guard let target = Self.pointer(reference, in: document) else {
                return SchemaMismatch(path: path, problem: "the schema refers to \(reference), which the document does not have")
            }
            if let mismatch = check(value, against: target, at: path) { return mismatch }
        }
        if value == .null, schema["nullable"] == .bool(true) { return nil }
        if let mismatch = checkType(value, schema, path) { return mismatch }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            return SchemaMismatch(path: path, problem: "\(value.shown) is not one of the documented values \(allowed.map(\.shown).joined(separator: ", "))")
        }
        if let constant = schema["const"], constant != value {
            return SchemaMismatch(path: path, problem: "expected \(constant.shown), got \(value.shown)")
        }
        if let mismatch = checkCombinations(value, schema, path) { return mismatch }
        switch value {
        case .object(let members): return checkObject(members, schema, path)
        case .array(let items): return checkArray(items, schema, path)
        case .string(let text): return checkString(text, schema, path)
        case .number(let number): return checkNumber(number, schema, path)
        case .null, .bool: return nil
        }
    }

    private func checkType(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        let types: [String]
        switch schema["type"] {
        case .string(let type)?: types = [type]
        case .array(let list)?: types = list.compactMap(\.stringValue)
        default: return nil
        }
        let actual = value.typeName
        guard !types.contains(actual), !(actual == "integer" && types.contains("number")) else { return nil }
        return SchemaMismatch(path: path, problem: "expected \(types.joined(separator: " or ")), got \(actual) \(value.shown)")
    }

    private mutating func checkCombinations(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        if case .array(let all)? = schema["allOf"] {
            for part in all {
                if let mismatch = check(value, against: part, at: path) { return mismatch }
            }
        }
        if case .array(let any)? = schema["anyOf"] {
            let failures = any.compactMap { check(value, against: $0, at: path) }
            if failures.count == any.count, let first = failures.first {
                return SchemaMismatch(path: path, problem: "matches none of anyOf (the first says: \(first.path): \(first.problem))")
            }
        }
        if case .array(let one)? = schema["oneOf"] {
            let failures = one.map { check(value, against: $0, at: path) }
            let matching = failures.filter { $0 == nil }.count
            if matching == 0, let first = failures.compactMap({ $0 }).first {
                return SchemaMismatch(path: path, problem: "matches none of oneOf (the first says: \(first.path): \(first.problem))")
            }
            if matching > 1 {
                return SchemaMismatch(path: path, problem: "matches \(matching) of oneOf, which allows exactly one")
            }
        }
        if let not = schema["not"], check(value, against: not, at: path) == nil {
            return SchemaMismatch(path: path, problem: "matches the schema under not")
        }
        return nil
    }

    private mutating func checkObject(_ members: [String: JSONValue], _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        if case .array(let required)? = schema["required"] {
            for case .string(let name) in required where members[name] == nil {
                return SchemaMismatch(path: Self.member(path, name), problem: "required property is missing")
            }
        }
        let properties: [String: JSONValue]
        if case .object(let declared)? = schema["properties"] { properties = declared } else { properties = [:] }
        for name in members.keys.sorted() {
            let member = members[name]!
            if let property = properties[name] {
                if let mismatch = check(member, against: property, at: Self.member(path, name)) { return mismatch }
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    return SchemaMismatch(path: Self.member(path, name), problem: "not a documented property, and additionalProperties is false")
                }
                if let mismatch = check(member, against: additional, at: Self.member(path, name)) { return mismatch }
            }
        }
        return nil
    }

    private mutating func checkArray(_ items: [JSONValue], _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        if case .number(let least)? = schema["minItems"], Double(items.count) < least {
            return SchemaMismatch(path: path, problem: "\(items.count) item(s), fewer than minItems \(Int(least))")
        }
        if case .number(let most)? = schema["maxItems"], Double(items.count) > most {
            return SchemaMismatch(path: path, problem: "\(items.count) item(s), more than maxItems \(Int(most))")
        }
        guard let itemSchema = schema["items"] else { return nil }
        for (index, item) in items.enumerated() {
            if let mismatch = check(item, against: itemSchema, at: "\(path)[\(index)]") { return mismatch }
        }
        return nil
    }

    private func checkString(_ text: String, _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        if case .number(let least)? = schema["minLength"], Double(text.count) < least {
            return SchemaMismatch(path: path, problem: "\(text.count) character(s), fewer than minLength \(Int(least))")
        }
        if case .number(let most)? = schema["maxLength"], Double(text.count) > most {
            return SchemaMismatch(path: path, problem: "\(text.count) character(s), more than maxLength \(Int(most))")
        }
        return nil
    }

    private func checkNumber(_ number: Double, _ schema: JSONValue, _ path: String) -> SchemaMismatch? {
        if case .number(let least)? = schema["minimum"], number < least {
            return SchemaMismatch(path: path, problem: "\(JSONValue.number(number).shown) is below the minimum \(JSONValue.number(least).shown)")
        }
        if case .number(let most)? = schema["maximum"], number > most {
            return SchemaMismatch(path: path, problem: "\(JSONValue.number(number).shown) is above the maximum \(JSONValue.number(most).shown)")
        }
        return nil
    }

    /// `$.items.name`, or `$["odd key"]` for a name that is not a plain identifier.
    private static func member(_ path: String, _ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        return plain ? "\(path).\(name)" : "\(path)[\(name.debugDescription)]"
    }

    /// The value a local reference (`#/components/schemas/Item`) points to.
    static func pointer(_ reference: String, in document: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var value: JSONValue? = document
        for token in reference.dropFirst().split(separator: "/") {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            switch value {
            case .object(let members)?: value = members[key.percentDecoded ?? key]
            case .array(let items)?: value = Int(key).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return value
    }
}
