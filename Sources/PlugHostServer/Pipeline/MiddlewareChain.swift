import PlugHostPlugins

/// The plugin middlewares in the order they run: those host.toml's `[middleware] order` lists,
/// in that order, then the others by plugin name (and, within a plugin, in registration order).
struct MiddlewareChain: Sendable {
    let ordered: [PluginMiddleware]

    init(_ middlewares: [PluginMiddleware], order: [String]) {
        let listed = order.compactMap { name in middlewares.first { $0.name == name } }
        let unlisted = middlewares.enumerated()
            .filter { !order.contains($0.element.name) }
            .sorted { ($0.element.pluginName, $0.offset) < ($1.element.pluginName, $1.offset) }
            .map(\.element)
        ordered = listed + unlisted
    }

    /// Of a route's `hooks` (the chain's middlewares, in its order), those that act on a request
    /// for `path` served by `routePlugin` (nil: built-in).
    static func applicable(_ hooks: [RoutePipeline.Hook], to path: String, routePlugin: String?) -> [RoutePipeline.Hook] {
        // Usually every middleware applies: then the list made at start is shared, not copied.
        guard hooks.allSatisfy({ $0.middleware.applies(to: path, routePlugin: routePlugin) }) else {
            return hooks.filter { $0.middleware.applies(to: path, routePlugin: routePlugin) }
        }
        return hooks
    }
}
