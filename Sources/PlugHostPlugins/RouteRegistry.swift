import PlugHostConfig
import Synchronization

/// Every route that is served, by method and path shape, so a second claim on one is caught.
///
/// Built-in routes are claimed by the host under the owner name `host`.
public final class RouteRegistry: Sendable {
    /// Who holds a route: a plugin (name and file) or the host.
    public struct Owner: Sendable, CustomStringConvertible {
        public let name: String
        public let file: String?
        public var description: String { file.map { "plugin '\(name)' (\($0))" } ?? "the host's built-in routes" }
    }

    private struct State {
        var owners: [RouteKey: Owner] = [:]
        var routes: [PluginRoute] = []
        var middlewares: [PluginMiddleware] = []
    }

    private let state = Mutex(State())

    public init(builtIn: [(method: String, path: String)]) {
        state.withLock { state in
            for route in builtIn {
                let shape = (try? PathTemplate(route.path).shape) ?? route.path
                state.owners[RouteKey(method: route.method, shape: shape)] = Owner(name: "host", file: nil)
            }
        }
    }

    /// Plugin routes in the order they were committed.
    public var routes: [PluginRoute] { state.withLock { $0.routes } }

    /// Plugin middlewares in the order they were committed.
    public var middlewares: [PluginMiddleware] { state.withLock { $0.middlewares } }

    func owner(of key: RouteKey) -> Owner? { state.withLock { $0.owners[key] } }

    func middlewareOwner(of name: String) -> Owner? {
        state.withLock { state in
            state.middlewares.first { $0.name == name }.map { Owner(name: $0.pluginName, file: $0.pluginFile) }
        }
    }

    /// Adds all of one plugin's routes and middlewares, or none if any route is taken; returns the first clash.
    func commit(_ routes: [PluginRoute], middlewares: [PluginMiddleware] = []) -> (route: PluginRoute, owner: Owner)? {
        state.withLock { state in
            for route in routes {
                if let owner = state.owners[route.key] { return (route, owner) }
            }
            for route in routes {
                state.owners[route.key] = Owner(name: route.pluginName, file: route.pluginFile)
                state.routes.append(route)
            }
            state.middlewares += middlewares
            return nil
        }
    }
}

extension RouteRegistry {
    /// A registry holding the host's built-in routes, as the server has it before plugins load.
    public static func withBuiltins() -> RouteRegistry {
        RouteRegistry(builtIn: BuiltinRoutes.all.map { (method: $0.method, path: $0.pathBelowAPI) })
    }
}
