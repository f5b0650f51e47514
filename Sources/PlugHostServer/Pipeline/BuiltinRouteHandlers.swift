import FoundationEssentials
import Glibc
import Hummingbird
import PlugHostConfig
import PlugHostDocs
import PlugHostObservability
import PlugHostPlugins

/// Serves the table of built-in routes (``BuiltinRoutes``), each through the pipeline like a
/// plugin route: the gate where the table says so, then the plugin middlewares.
enum BuiltinRouteHandlers {
    /// What the operator routes show: the configuration and the outcome of loading plugins.
    struct Inventory: Sendable {
        let config: HostConfig
        let report: PluginLoadReport
    }

    /// The route's work once the pipeline lets the request through.
    typealias Handler = @Sendable (Request, HostRequestContext) throws -> Response

    static func add(to router: Router<HostRequestContext>, pipeline: RoutePipeline, inventory: Inventory, docs: DocsRoutes?) {
        let plugins = json(PluginInventory(report: inventory.report, middlewareOrder: pipeline.chain.ordered.map(\.name)))
        let config = json(EffectiveConfig(inventory.config))
        for route in BuiltinRoutes.served(inventory.config) {
            let handler: Handler? = switch route.kind {
            case .health: { _, _ in StatusMessage.response("PlugHost is running.") }
            case .login: { _, _ in StatusMessage.response("Login successful.") }
            case .metrics: { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(bytes: HostMetrics.shared.render())))
            }
            case .plugins: { _, _ in jsonResponse(plugins) }
            case .config: { _, _ in jsonResponse(config) }
            case .openAPIDocument, .swaggerUI, .redoc: docs?.handler(for: route.kind)
            }
            guard let handler else { continue }
            serve(route, on: router, pipeline: pipeline, handler)
        }
    }

    /// Registers the route to run through the pipeline (gate, middlewares) before `handler`.
    private static func serve(_ route: BuiltinRoute, on router: Router<HostRequestContext>, pipeline: RoutePipeline, _ handler: @escaping Handler) {
        let rules = route.guarded ? pipeline.gate.rules(method: route.method, servedPath: route.path, plugin: nil, requiresAuth: route.requiresAuth,
                                                        scope: nil, limited: route.limited, cost: 1) : nil
        // Built-in paths are literal, valid templates.
        let served = pipeline.route(rules: rules, plugin: nil, method: route.method, servedPath: route.path, template: try! PathTemplate(route.path))
        router.get(RouterPath(route.path)) { request, context -> Response in
            context.logFields.route = route.path
            return try await pipeline.serve(request, context: context, route: served, work: .builtin { request, _ in RouteResponse(try handler(request, context)) }).response
        }
    }

    private static func jsonResponse(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Encoded once at start: both documents are fixed for the life of the process.
    private static func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}
