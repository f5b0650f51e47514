package import PlugHostABI

/// One middleware a plugin registered, copied out of its descriptor.
public struct PluginMiddleware: @unchecked Sendable {
    // The hooks and `userData` belong to a plugin that is never unloaded; the ABI requires
    // user_data to stay valid for the life of the process and the hooks to be callable from any thread.
    public let name: String
    public let pluginName: String
    public let pluginFile: String
    /// The plugin's entry in the worker's crash record.
    package let recordIndex: Int32
    public let flags: UInt32
    /// Served paths it applies to (whole segments); empty for every `/api` route.
    public let pathPrefixes: [String]
    package let onRequest: ph_request_hook_fn?
    package let onResponse: ph_response_hook_fn?
    package let userData: UnsafeMutableRawPointer?
    /// The ABI minor its plugin declared: what its answers must be sized as (``ABILayout``).
    package let abiMinor: Int

    public var isNonBlocking: Bool { flags & PH_MIDDLEWARE_NON_BLOCKING != 0 }
    public var ownRoutesOnly: Bool { flags & PH_MIDDLEWARE_OWN_ROUTES != 0 }
    public var hasRequestHook: Bool { onRequest != nil }
    public var hasResponseHook: Bool { onResponse != nil }

    /// Whether it acts on a request for `path` served by `routePlugin` (nil: a built-in route).
    package func applies(to path: String, routePlugin: String?) -> Bool {
        if ownRoutesOnly, routePlugin != pluginName { return false }
        guard !pathPrefixes.isEmpty else { return true }
        return pathPrefixes.contains { prefix in path == prefix || path.hasPrefix(prefix + "/") }
    }

    /// How it is shown in listings: `request-id (request+response hooks, every /api route)`.
    public var summary: String {
        let hooks = [hasRequestHook ? "request" : nil, hasResponseHook ? "response" : nil].compactMap { $0 }.joined(separator: "+")
        var scope = pathPrefixes.isEmpty ? "every /api route" : pathPrefixes.joined(separator: ", ")
        if ownRoutesOnly { scope += ", own routes only" }
        return "\(name) (\(hooks) hook\(hasRequestHook && hasResponseHook ? "s" : ""), \(scope)\(isNonBlocking ? ", non-blocking" : ""))"
    }
}
