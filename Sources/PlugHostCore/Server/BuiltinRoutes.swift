import Foundation
import Hummingbird

/// Routes the host serves itself, whatever plugins are loaded.
enum BuiltinRoutes {
    /// Claimed in the route registry so no plugin can shadow them.
    static let claimed: [(method: String, path: String)] = [("GET", "/health")]

    static func add(to router: Router<HostRequestContext>) {
        router.get("/api/health") { _, _ in
            StatusMessage(message: "PlugHost is running.", timestamp: Date())
        }
    }
}

/// The seed's BaseResponse: a message and when it was made.
struct StatusMessage: ResponseEncodable {
    let message: String
    let timestamp: Date
}
