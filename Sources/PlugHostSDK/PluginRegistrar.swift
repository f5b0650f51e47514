import FoundationEssentials
import Glibc
import PlugHostABI

/// What a plugin uses during registration: its config, its log, and the route methods.
///
/// Valid only inside ``PlugHostPlugin/register(_:)``; keep ``log`` and ``config`` if handlers need them.
public final class PluginRegistrar {
    /// The plugin's `[plugins.NAME]` table.
    public let config: PluginConfig
    /// The host log, attributed to this plugin; safe to capture in handlers.
    public let log: PluginLog
    /// The plugin's own metrics on `/api/metrics`; safe to capture in handlers.
    public let metrics: PluginMetrics
    private let host: HostAPI
    private var schemas: [String: Schema] = [:]

    init(host: HostAPI) {
        self.host = host
        self.log = PluginLog(host: host)
        self.metrics = PluginMetrics(host: host)
        self.config = PluginConfig(json: host.configJSON())
    }

    /// Registers a handler that answers synchronously. Runs on the host's thread pool unless
    /// `options` contains ``RouteOptions/nonBlocking``.
    ///
    /// Every route method takes the same parameters: `scope` is an API key scope the route
    /// requires (it implies ``RouteOptions/authRequired``); `cost` is how many units of the
    /// client's rate limit one call spends; `docs` describes the route in `/api/openapi.json`;
    /// `maxBodySize` replaces the host's `[limits] max_body_size` for this route (capped by
    /// `[limits] max_route_body_size`).
    public func route(
        _ method: HTTPMethod, _ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil,
        maxBodySize: Int? = nil,
        _ handler: @escaping @Sendable (Request) throws -> Response
    ) throws {
        try register(method, path, options: options, scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize) { request, responder in
            responder.respond(Self.answer { try handler(request) })
        }
    }

    /// Registers a handler that answers later, from any thread, through the ``Responder``.
    public func route(
        _ method: HTTPMethod, _ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil,
        maxBodySize: Int? = nil,
        respondingLater handler: @escaping @Sendable (Request, Responder) -> Void
    ) throws {
        try register(method, path, options: options, scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize, handler)
    }

    /// Registers an `async` handler; it runs in a new task and answers when it returns.
    public func route(
        _ method: HTTPMethod, _ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil,
        maxBodySize: Int? = nil,
        _ handler: @escaping @Sendable (Request) async throws -> Response
    ) throws {
        // An async handler suspends instead of blocking, so it never needs the blocking pool.
        try register(method, path, options: options.union(.nonBlocking), scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize) { request, responder in
            Task { responder.respond(await Self.answer { try await handler(request) }) }
        }
    }

    public func get(_ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil,
                    _ handler: @escaping @Sendable (Request) throws -> Response) throws {
        try route(.get, path, options: options, scope: scope, cost: cost, docs: docs, handler)
    }

    public func post(_ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil, maxBodySize: Int? = nil,
                     _ handler: @escaping @Sendable (Request) throws -> Response) throws {
        try route(.post, path, options: options, scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize, handler)
    }

    public func put(_ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil, maxBodySize: Int? = nil,
                    _ handler: @escaping @Sendable (Request) throws -> Response) throws {
        try route(.put, path, options: options, scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize, handler)
    }

    public func patch(_ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil, maxBodySize: Int? = nil,
                      _ handler: @escaping @Sendable (Request) throws -> Response) throws {
        try route(.patch, path, options: options, scope: scope, cost: cost, docs: docs, maxBodySize: maxBodySize, handler)
    }

    public func delete(_ path: String, options: RouteOptions = [], scope: String? = nil, cost: Int = 1, docs: RouteDocs? = nil,
                       _ handler: @escaping @Sendable (Request) throws -> Response) throws {
        try route(.delete, path, options: options, scope: scope, cost: cost, docs: docs, handler)
    }

    /// Registers a middleware: `onRequest` sees every request its scope covers (after the host's
    /// rate limit and key check, before the route) and continues or answers; `onResponse` may
    /// change the answer's headers. `paths`: served path prefixes ("/api/admin"); empty for every
    /// `/api` route. Hooks run on the blocking pool unless `options` has ``MiddlewareOptions/nonBlocking``.
    ///
    ///     try plugin.middleware("request-id", options: .nonBlocking) { request in
    ///         // Check what a client sends before passing it on: it ends up in logs.
    ///         .continue(setting: ["X-Request-ID": sanitized(request.headers["x-request-id"]) ?? newID()])
    ///     } onResponse: { request, _ in
    ///         ["X-Request-ID": request.headers["x-request-id"] ?? ""]
    ///     }
    public func middleware(
        _ name: String, options: MiddlewareOptions = [], paths: [String] = [],
        onRequest: (@Sendable (Request) throws -> MiddlewareDecision)? = nil,
        onResponse: (@Sendable (Request, ResponseHead) -> HeaderChanges)? = nil
    ) throws {
        guard let register = host.function(\.register_middleware) else {
            throw MiddlewareRegistrationError(name: name, reason: "the host is older than ABI 1.3 and runs no middleware")
        }
        // The box is handed to the host as user_data and must outlive every call: it is never released.
        let box = Unmanaged.passRetained(MiddlewareBox(host: host, onRequest: onRequest, onResponse: onResponse)).toOpaque()
        let prefixes = paths.map { strdup($0) }
        defer { prefixes.forEach { free($0) } }
        let status = name.withCString { namePointer in
            prefixes.map { UnsafePointer($0) }.withUnsafeBufferPointer { prefixBuffer in
                var descriptor = ph_middleware_t(
                    struct_size: UInt32(MemoryLayout<ph_middleware_t>.size),
                    name: namePointer,
                    flags: options.rawValue,
                    path_prefixes: prefixBuffer.baseAddress,
                    path_prefix_count: prefixBuffer.count,
                    on_request: onRequest == nil ? nil : requestHookTrampoline,
                    on_response: onResponse == nil ? nil : responseHookTrampoline,
                    user_data: box
                )
                return register(host.plugin, &descriptor)
            }
        }
        guard status == PH_OK else {
            Unmanaged<MiddlewareBox>.fromOpaque(box).release()
            throw MiddlewareRegistrationError(name: name, reason: status == PH_ERR_DUPLICATE_NAME ? "the name is taken" : "the host rejected it (see the host log)")
        }
    }

    /// Registers a schema the plugin's docs refer to as `.ref(name)`. In the document it is
    /// named `<plugin>.<name>`, so it cannot collide with another plugin's schema of that name.
    /// Returns false when the host is too old to take schemas (before ABI 1.3).
    @discardableResult
    public func schema(_ name: String, _ schema: Schema) -> Bool {
        schemas[name] = schema
        guard let function = host.function(\.openapi_components) else { return false }
        // The host keeps the last call's components, so each call sends all of them.
        let json = JSONValue.object(["schemas": .object(schemas.mapValues(\.json))]).encoded
        return function(host.plugin, json) == PH_OK
    }

    private func register(
        _ method: HTTPMethod, _ path: String, options: RouteOptions, scope: String?, cost: Int, docs: RouteDocs?, maxBodySize: Int?,
        _ run: @escaping @Sendable (Request, Responder) -> Void
    ) throws {
        // The box is handed to the host as user_data and must outlive every call: it is never released.
        let box = Unmanaged.passRetained(RouteBox(host: host, run: run)).toOpaque()
        let status = method.rawValue.withCString { methodPointer in
            path.withCString { pathPointer in
                withOptionalCString(docs?.json) { openAPIPointer in
                    withOptionalCString(scope) { scopePointer in
                        var descriptor = ph_route_t(
                            struct_size: UInt32(MemoryLayout<ph_route_t>.size),
                            method: methodPointer,
                            path: pathPointer,
                            flags: options.rawValue,
                            handler: routeTrampoline,
                            user_data: box,
                            openapi_json: openAPIPointer,
                            required_scope: scopePointer,
                            rate_cost: UInt32(clamping: max(1, cost)),
                            max_body_size: UInt64(clamping: max(0, maxBodySize ?? 0))
                        )
                        return host.table.pointee.register_route?(host.plugin, &descriptor) ?? PH_ERR_INVALID_ARGUMENT
                    }
                }
            }
        }
        guard status == PH_OK else {
            Unmanaged<RouteBox>.fromOpaque(box).release()
            throw RegistrationError(method: method, path: path, status: status)
        }
    }

    private static func answer(_ body: () throws -> Response) -> Response {
        do { return try body() } catch { return .problem(status: 500, detail: "\(error)") }
    }

    private static func answer(_ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch { return .problem(status: 500, detail: "\(error)") }
    }
}

/// HTTP methods a route can be registered for.
public enum HTTPMethod: String, Sendable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD", options = "OPTIONS"
}

/// How the host treats a route.
public struct RouteOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The host answers 401 unless the request carries a valid API key.
    public static let authRequired = RouteOptions(rawValue: PH_ROUTE_AUTH_REQUIRED)
    /// Exempt from rate limiting.
    public static let noRateLimit = RouteOptions(rawValue: PH_ROUTE_NO_RATE_LIMIT)
    /// The handler never blocks, so the host calls it inline on its I/O threads (fastest).
    public static let nonBlocking = RouteOptions(rawValue: PH_ROUTE_NON_BLOCKING)
}

/// The host refused a middleware.
public struct MiddlewareRegistrationError: Error, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String { "cannot register middleware '\(name)': \(reason)" }
}

/// The host refused a route; the host log says why in detail.
public struct RegistrationError: Error, CustomStringConvertible {
    public let method: HTTPMethod
    public let path: String
    public let status: Int32

    public var description: String {
        let reason = switch status {
        case PH_ERR_DUPLICATE_ROUTE: "it is already registered"
        case PH_ERR_WRONG_PHASE: "routes can only be registered during registration"
        default: "the host rejected the descriptor (see the host log)"
        }
        return "cannot register \(method.rawValue) \(path): \(reason)"
    }
}

/// A route's handler, kept alive for the life of the process as the descriptor's user_data.
private final class RouteBox: Sendable {
    let host: HostAPI
    let run: @Sendable (Request, Responder) -> Void
    init(host: HostAPI, run: @escaping @Sendable (Request, Responder) -> Void) {
        self.host = host
        self.run = run
    }
}

/// The one C entry point for every Swift route: non-capturing, finds the handler through user_data.
private let routeTrampoline: ph_handler_fn = { call, request, userData in
    guard let call, let request, let userData else { return }
    let box = Unmanaged<RouteBox>.fromOpaque(userData).takeUnretainedValue()
    RequestSource.lend(request) { request, _ in box.run(request, Responder(host: box.host, call: call)) }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
