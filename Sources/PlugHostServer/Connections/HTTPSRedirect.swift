import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import PlugHostSockets
import ServiceLifecycle
import Synchronization

/// The optional plain-HTTP listener (`[server] http_port`): every request is answered with a
/// permanent redirect to the same path over HTTPS, and nothing else. Its connections are held to
/// the same `[limits]` as the HTTPS port's (`connection`, `maxConnections`, `admission`): it shares
/// the process's descriptors, so connections held open there would lock the HTTPS port out too.
enum HTTPSRedirect {
    static func service(socket: ListeningSocket, httpsPort: ListeningPort, connection: HTTP1Channel.Configuration,
                        maxConnections: Int, admission: ConnectionAdmission, grace: ShutdownGrace, logger: Logger) -> some Service {
        let router = Router()
        router.add(middleware: RedirectMiddleware(httpsPort: httpsPort))
        let channel = HostHTTP1Channel(responder: ConnectionResponder.make(router.buildResponder(), logger: logger), configuration: connection)
        var service = ListenerService(socket: socket, child: channel, maxConnections: maxConnections, logger: logger, onRunning: { _ in })
        service.admission = admission
        service.grace = grace
        return service
    }

    private struct RedirectMiddleware: RouterMiddleware {
        typealias Context = BasicRequestContext
        let httpsPort: ListeningPort

        // @concurrent as Hummingbird's middleware protocol declares it (this package defaults to nonsending).
        @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
            // The Host header names the host as the client knows it; only the port changes.
            var authority = request.head.authority ?? "localhost"
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") { authority = String(authority[..<colon]) }
            let port = httpsPort.value
            let target = "https://\(authority)\(port == 443 ? "" : ":\(port)")\(request.uri.path)\(request.uri.query.map { "?\($0)" } ?? "")"
            return Response(status: .permanentRedirect, headers: [.location: target, .contentLength: "0"])
        }
    }
}

/// The port the HTTPS server actually bound (known only once it listens, e.g. with port 0).
final class ListeningPort: Sendable {
    private let port = Atomic<Int>(443)
    func set(_ value: Int) { port.store(value, ordering: .relaxed) }
    var value: Int { port.load(ordering: .relaxed) }
}
