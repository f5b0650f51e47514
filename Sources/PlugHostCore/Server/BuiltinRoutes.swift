import Foundation
import Hummingbird

/// Routes the host serves itself, whatever plugins are loaded.
enum BuiltinRoutes {
    /// Claimed in the route registry so no plugin can shadow them.
    static let claimed: [(method: String, path: String)] = [("GET", "/health"), ("GET", "/login")]

    static func add(to router: Router<HostRequestContext>, authenticator: Authenticator) {
        router.get("/api/health") { _, _ in
            StatusMessage(message: "PlugHost is running.", timestamp: Date())
        }
        // The seed's way for a client to check its key.
        router.get("/api/login") { request, context in
            context.trace.key = try authenticator.authorize(request, route: "/api/login", requiresAuth: true, scope: nil, client: context.trace.client)
            return StatusMessage(message: "Login successful.", timestamp: Date())
        }
    }
}

/// The seed's BaseResponse: a message and when it was made.
struct StatusMessage: ResponseEncodable {
    let message: String
    let timestamp: Date
}
