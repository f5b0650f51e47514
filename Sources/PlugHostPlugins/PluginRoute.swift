package import PlugHostABI

/// One route a plugin registered, copied out of its descriptor.
public struct PluginRoute: @unchecked Sendable {
    // `handler` and `userData` belong to a plugin that is never unloaded; the ABI requires user_data
    // to stay valid for the life of the process and the handler to be callable from any thread.
    public let pluginName: String
    public let pluginFile: String
    /// The plugin's entry in the worker's crash record.
    package let recordIndex: Int32
    public let method: String
    public let template: PathTemplate
    public let flags: UInt32
    public let openAPIJSON: String?
    public let requiredScope: String?
    /// Units of the rate limit one call consumes (ABI 1.1; 1 for older plugins).
    public let rateCost: Int
    /// The route's own body limit (ABI 1.3), if it set one.
    public let maxBodyBytes: Int?
    /// The ABI minor its plugin declared: what its answers must be sized as (``ABILayout``).
    package let abiMinor: Int
    package let handler: ph_handler_fn
    package let userData: UnsafeMutableRawPointer?

    /// The path as served: the template below `/api`.
    public var servedPath: String { template.segments.isEmpty ? "/api" : "/api" + template.description }
    /// A required scope implies authentication: a scope can only be checked on a known key.
    public var requiresAuth: Bool { flags & PH_ROUTE_AUTH_REQUIRED != 0 || requiredScope != nil }
    public var isRateLimited: Bool { flags & PH_ROUTE_NO_RATE_LIMIT == 0 }
    public var isNonBlocking: Bool { flags & PH_ROUTE_NON_BLOCKING != 0 }
    var key: RouteKey { RouteKey(method: method, shape: template.shape) }
}

/// What makes two routes the same route: the method and the template with parameter names erased.
struct RouteKey: Hashable, Sendable {
    let method: String
    let shape: String
}
