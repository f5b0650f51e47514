import Foundation
import OpenAPIKit
import PlugHostConfig
public import PlugHostDocs

/// Makes the OpenAPI document in this process (`plughost docs-build`, the single process, the
/// test kit, `plughost check`).
public enum DocsBuilder {
    public static func build(_ input: DocsInput) -> APIDocument {
        var builder = APIDocumentBuilder(info: input.info, authHeader: input.authHeader)
        for route in input.hostRoutes {
            guard let kind = BuiltinRoute.Kind(rawValue: route.kind) else { continue }
            builder.addHostRoute(method: route.method, path: route.path, operation: BuiltinOperations.operation(for: kind, path: route.path),
                                 enforcement: route.enforcement)
        }
        for plugin in input.plugins { builder.addPlugin(plugin) }
        return builder.build()
    }
}


/// Assembles the document: the host's routes, then each plugin's, each operation checked on its
/// own so one plugin's mistake costs only that route's docs.
struct APIDocumentBuilder {
    private let info: DocsInput.Info
    private var components: OpenAPI.Components
    /// The host's own components, which every operation may reference.
    private let hostComponents: OpenAPI.Components
    private var paths: OpenAPI.PathItem.Map = [:]
    private var tags: [OpenAPI.Tag] = []
    private var warnings: [DocsWarning] = []

    /// Capitalised, so no plugin (names are [a-z0-9_-]) can take it.
    static let hostTag = "PlugHost"

    init(info: DocsInput.Info, authHeader: String) {
        self.info = info
        hostComponents = HostDocumentation.components(authHeader: authHeader)
        components = hostComponents
        tags.append(OpenAPI.Tag(name: Self.hostTag, description: "Built into PlugHost: health, login, metrics and operator routes."))
    }

    /// A built-in route, documented by the host itself.
    mutating func addHostRoute(method: String, path: String, operation: OpenAPI.Operation, enforcement: DocsInput.Enforcement) {
        var operation = operation
        operation.tags = [Self.hostTag]
        operation.operationId = operation.operationId ?? Self.operationID(prefix: Self.hostTag, method: method, path: path)
        HostDocumentation.apply(enforcement, to: &operation)
        insert(operation, method: method, path: path)
    }

    /// Every route of `plugin`; `enforcement` says what the host enforces on each.
    mutating func addPlugin(_ plugin: DocsInput.Plugin) {
        let namespace = ComponentNamespace(plugin: plugin.name)
        let version = "version \(plugin.version)"
        // The version, not the file name: the document is open, and file names are operator detail.
        tags.append(OpenAPI.Tag(name: plugin.name, description: plugin.description.isEmpty ? "Plugin \(plugin.name), \(version)." : "\(plugin.description) (plugin \(plugin.name), \(version))",
                                vendorExtensions: ["x-plugin-version": AnyCodable(plugin.version)]))
        var pluginComponents = (decoded: OpenAPI.Components(), raw: [String: Any]())
        if let problem = plugin.openAPIComponentsProblem {
            warnings.append(DocsWarning(subject: .components(plugin: plugin.name, file: plugin.file), problem: problem))
        } else if let json = plugin.openAPIComponents {
            do {
                pluginComponents = try Self.decodeComponents(json, namespace: namespace)
            } catch {
                warnings.append(DocsWarning(subject: .components(plugin: plugin.name, file: plugin.file), problem: error.description))
            }
        }
        for route in plugin.routes {
            let rules = route.enforcement
            var operation: OpenAPI.Operation
            do {
                operation = try documented(route, plugin: plugin.name, namespace: namespace, pluginComponents: pluginComponents, enforcement: rules)
            } catch {
                warnings.append(DocsWarning(subject: .operation(plugin: plugin.name, file: plugin.file, route: "\(route.method) \(route.servedPath)"),
                                            problem: error.description))
                operation = HostDocumentation.minimalOperation(method: route.method, path: route.servedPath, plugin: plugin.name)
                finish(&operation, route: route, plugin: plugin.name, enforcement: rules)
            }
            insert(operation, method: route.method, path: route.servedPath)
        }
        try? components.merge(pluginComponents.decoded)
    }

    func build() -> APIDocument {
        var document = document(paths: paths, components: components)
        var warnings = warnings
        do {
            _ = try document.validate()
        } catch {
            // Each operation was validated alone, so this means two routes clash (e.g. an
            // operationId); the document is still served, and the log says what is wrong.
            warnings.append(DocsWarning(subject: .document, problem: "\(error)"))
        }
        document.components.sort()
        let encoder = JSONEncoder()
        // Sorted: the same plugins give the same bytes, hence the same ETag, on every start.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = Array((try? encoder.encode(document)) ?? Data(#"{"openapi":"3.1.1"}"#.utf8))
        return APIDocument(json: json, warnings: warnings)
    }

    // MARK: - One plugin operation

    /// The plugin's operation with what the host enforces, or the reason it cannot be used.
    private func documented(_ route: DocsInput.Route, plugin: String, namespace: ComponentNamespace, pluginComponents: (decoded: OpenAPI.Components, raw: [String: Any]),
                            enforcement: DocsInput.Enforcement) throws(DocsProblem) -> OpenAPI.Operation {
        guard let json = route.openAPIJSON else {
            var operation = HostDocumentation.minimalOperation(method: route.method, path: route.servedPath, plugin: plugin)
            finish(&operation, route: route, plugin: plugin, enforcement: enforcement)
            return operation
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let object = parsed as? [String: Any] else {
            throw DocsProblem("openapi_json is not a JSON object")
        }
        let rewritten = namespace.rewritingReferences(in: object)
        if let missing = namespace.danglingReference(in: rewritten, components: pluginComponents.raw) {
            throw DocsProblem("it refers to \(missing), which the plugin did not give in openapi_components")
        }
        var operation = try Self.decodeInDocument(["paths": ["/operation": ["get": rewritten]]], what: "Operation") {
            $0.paths["/operation"]?.pathItemValue?.get
        }
        if let id = operation.operationId { operation.operationId = namespace.name(id) }
        finish(&operation, route: route, plugin: plugin, enforcement: enforcement)
        // Alone in a document with the components it may use, so a dangling reference or a
        // clash is pinned on this route.
        var own = hostComponents
        try? own.merge(pluginComponents.decoded)
        var single: OpenAPI.PathItem.Map = [:]
        Self.insert(operation, method: route.method, path: route.servedPath, into: &single)
        do {
            _ = try document(paths: single, components: own).validate()
        } catch {
            throw DocsProblem("\(error)")
        }
        return operation
    }

    private func finish(_ operation: inout OpenAPI.Operation, route: DocsInput.Route, plugin: String, enforcement: DocsInput.Enforcement) {
        operation.tags = [plugin]
        operation.operationId = operation.operationId ?? Self.operationID(prefix: plugin, method: route.method, path: route.servedPath)
        HostDocumentation.reconcilePathParameters(route.parameterNames, in: &operation)
        HostDocumentation.apply(enforcement, to: &operation)
    }

    private static func decodeComponents(_ json: String, namespace: ComponentNamespace) throws(DocsProblem) -> (decoded: OpenAPI.Components, raw: [String: Any]) {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let object = parsed as? [String: Any] else {
            throw DocsProblem("not a JSON object")
        }
        let renamed = try namespace.components(object)
        let decoded = try decodeInDocument(["paths": [String: Any](), "components": renamed], what: "Components object") { $0.components }
        return (decoded, renamed)
    }

    /// Decodes a plugin's fragment inside a document around it, as OpenAPIKit expects: decoded
    /// alone, some invalid fragments make its error reporting trap (found by FuzzTests).
    private static func decodeInDocument<Part>(_ members: [String: Any], what: String, _ part: (OpenAPI.Document) -> Part?) throws(DocsProblem) -> Part {
        var wrapper = members
        wrapper["openapi"] = "3.1.1"
        wrapper["info"] = ["title": "plugin", "version": "0"]
        do {
            let data = try JSONSerialization.data(withJSONObject: wrapper)
            let document = try JSONDecoder().decode(OpenAPI.Document.self, from: data)
            guard let value = part(document) else { throw DocsProblem("not a valid OpenAPI 3.1 \(what)") }
            return value
        } catch let problem as DocsProblem {
            throw problem
        } catch {
            throw DocsProblem("not a valid OpenAPI 3.1 \(what): \(OpenAPI.Error(from: error).localizedDescription)")
        }
    }

    // MARK: - Assembly

    private func document(paths: OpenAPI.PathItem.Map, components: OpenAPI.Components) -> OpenAPI.Document {
        OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(title: info.title, description: info.description, version: info.version),
            servers: [],
            paths: paths,
            components: components,
            tags: tags
        )
    }

    private mutating func insert(_ operation: OpenAPI.Operation, method: String, path: String) {
        Self.insert(operation, method: method, path: path, into: &paths)
    }

    private static func insert(_ operation: OpenAPI.Operation, method: String, path: String, into paths: inout OpenAPI.PathItem.Map) {
        let key = OpenAPI.Path(rawValue: path)
        var item = paths[key]?.pathItemValue ?? OpenAPI.PathItem()
        item.set(operation: operation, for: OpenAPI.HttpMethod(rawValue: method)!)
        paths[key] = .pathItem(item)
    }

    /// `example.get_api_hello_name` for `GET /api/hello/{name}`: stable, unique per route.
    static func operationID(prefix: String, method: String, path: String) -> String {
        let words = path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return "\(prefix).\(([method.lowercased()] + words).joined(separator: "_"))"
    }
}
