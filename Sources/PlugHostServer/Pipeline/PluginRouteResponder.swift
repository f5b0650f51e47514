import HTTPTypes
import Hummingbird
import NIOCore
import PlugHostABI
import PlugHostObservability
import PlugHostPlugins

/// Serves one plugin route through the pipeline: reads the body, builds the request view, calls
/// the C handler inline or on the blocking pool, and waits for its answer or the timeout.
/// A class, made once per route: the fast path's table and every request's run hold it by reference.
final class PluginRouteResponder: Sendable {
    let route: PluginRoute
    let pipeline: RoutePipeline
    let rules: RouteGate.Rules
    let maxBodyBytes: Int
    /// Nil when `[metrics] enabled = false`.
    let metrics: HostMetrics.RouteMetrics?
    /// The route as the pipeline knows it, made once rather than per request.
    let served: RoutePipeline.Route
    private let owner: CallOwner
    private let caller: PluginCaller
    private let requestFields: PluginRequestFields

    init(route: PluginRoute, pipeline: RoutePipeline, rules: RouteGate.Rules, maxBodyBytes: Int, metrics: HostMetrics.RouteMetrics?) {
        self.route = route
        self.pipeline = pipeline
        self.rules = rules
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
        served = pipeline.route(rules: rules, plugin: route.pluginName, method: route.method, servedPath: route.servedPath, template: route.template)
        owner = CallOwner(plugin: route.pluginName, recordIndex: route.recordIndex, abiMinor: route.abiMinor, kind: .route, what: "\(route.method) \(route.servedPath)")
        caller = pipeline.caller
        requestFields = pipeline.requestFields
    }

    func respond(to request: Request, context: HostRequestContext) async throws -> Response {
        note(context)
        return try await pipeline.serve(request, context: context, route: served, work: .plugin(self)).response
    }

    /// What the request log and the metrics learn of a request this route serves.
    func note(_ context: HostRequestContext) {
        context.logFields.plugin = route.pluginName
        context.logFields.route = served.servedPath
        context.logFields.metrics = metrics
    }

    /// The request's whole body, within the route's limit.
    func readBody(_ request: Request) async throws -> ByteBuffer {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "The request body is larger than this server accepts (\(maxBodyBytes) bytes; [limits] max_body_size, or the route's own limit).")
        }
        // A body cut short (the client went away, the read timeout closed the connection) must
        // not reach the plugin as if it were the whole request.
        if let declared = request.headers[.contentLength].flatMap(Int.init), body.readableBytes < declared {
            throw HTTPError(.badRequest, message: "The request body ended after \(body.readableBytes) of the \(declared) bytes its Content-Length announced.")
        }
        return body
    }

    /// Calls the plugin's handler with the request as the middlewares left it.
    /// `headers`: the request's, as the request hooks left them.
    /// `path`: percent-decoded.
    func call(method: HTTPRequest.Method, path: String, query: String, headers: HTTPFields, body: ByteBuffer, context: HostRequestContext,
              route served: RoutePipeline.Route, keyName: String?) -> CallStart {
        let view = body.withUnsafeReadableBytes { bytes in
            RequestView.make(requestFields.fields(method: method, path: path, query: query, headers: headers, context: context, route: served, keyName: keyName),
                             body: bytes)
        }
        return route.isNonBlocking
            ? caller.callInline(owner, view: view) { [route] handle in route.handler(handle, view.request, route.userData) }
            : caller.callOnPool(owner, view: view) { [route] handle in route.handler(handle, view.request, route.userData) }
    }
}
