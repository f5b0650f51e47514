import HTTPTypes

/// The plugin routes ``EventLoopFastPath`` serves: those without parameters, by their exact path
/// as served and their method. A request whose path differs in any way (a trailing slash, a
/// percent-encoding) is not found here and takes Hummingbird's router, as before.
struct PluginRouteTable: Sendable {
    private let routes: [String: [HTTPRequest.Method: PluginRouteResponder]]

    init(_ responders: [PluginRouteResponder]) {
        var routes: [String: [HTTPRequest.Method: PluginRouteResponder]] = [:]
        for responder in responders where responder.route.template.parameterNames.isEmpty && !responder.route.servedPath.contains("%") {
            guard let method = HTTPRequest.Method(responder.route.method) else { continue }
            routes[responder.route.servedPath, default: [:]][method] = responder
        }
        self.routes = routes
    }

    var isEmpty: Bool { routes.isEmpty }

    /// The route serving `method` at `target` (a request target: its query is ignored).
    func responder(method: HTTPRequest.Method, target: String) -> PluginRouteResponder? {
        guard !routes.isEmpty else { return nil }
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(target[..<$0]) } ?? target
        return routes[path]?[method]
    }
}
