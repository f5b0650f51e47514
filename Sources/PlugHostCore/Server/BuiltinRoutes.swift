import Foundation
import Hummingbird

/// Routes the host serves itself, whatever plugins are loaded.
enum BuiltinRoutes {
    /// Claimed in the route registry so no plugin can shadow them.
    static let claimed: [(method: String, path: String)] = [("GET", "/health"), ("GET", "/login")]

    static func add(to router: Router<HostRequestContext>, gate: RouteGate) {
        // Unlimited and open, like the seed's: load balancers poll it.
        router.get("/api/health") { _, _ in
            StatusMessage(message: "PlugHost is running.", timestamp: Date())
        }
        // The seed's way for a client to check its key; limited, which slows key guessing.
        let login = gate.rules(method: "GET", servedPath: "/api/login", plugin: nil, requiresAuth: true, scope: nil, limited: true, cost: 1)
        router.get("/api/login") { request, context -> Response in
            switch try await gate.admit(request, context: context, rules: login) {
            case .refused(let response):
                return response
            case .admitted(_, let headers):
                var response = try StatusMessage(message: "Login successful.", timestamp: Date()).response(from: request, context: context)
                response.headers.append(contentsOf: headers)
                return response
            }
        }
    }
}

/// The seed's BaseResponse: a message and when it was made.
struct StatusMessage: ResponseEncodable {
    let message: String
    let timestamp: Date
}
