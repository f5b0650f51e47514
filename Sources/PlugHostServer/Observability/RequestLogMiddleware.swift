import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlugHostConfig
import PlugHostObservability

/// Logs each request as it arrives (method, path, client) and makes its response line (duration,
/// plugin, key name) when it is answered; the line is written with the status once it is known
/// what the client got (``ResponseDelivery``). Values of sensitive query parameters never reach the log.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = HostRequestContext

    let logger: Logger
    let clients: ClientAddressResolver
    let sensitiveParameters: Set<String>
    let metrics: HostMetrics?
    /// The request log's lines go here when logging is set up (always, in a running host).
    let fast: FastLogger

    init(logger: Logger, settings: LoggingSettings, metrics: HostMetrics? = nil) {
        self.logger = logger
        fast = FastLogger(logger)
        self.metrics = metrics
        clients = ClientAddressResolver(trustedProxies: settings.trustedProxies)
        sensitiveParameters = Set(settings.sensitiveQueryParameters.map { $0.lowercased() })
    }

    // @concurrent as Hummingbird's middleware protocol declares it (this package defaults to nonsending).
    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let client = clients.clientAddress(peer: PeerAddressText.of(context.remoteAddress), forwardedFor: request.headers[.xForwardedFor])
        context.logFields.client = client
        // Redaction and metadata cost more than the rest of this middleware: skip them when the
        // level would drop the lines anyway.
        let logs = fast.isEnabled(.info)
        let target = logs ? redactedTarget(path: request.uri.path, query: request.uri.query) : ""
        if logs { fast.log(.info, "request \(request.method.rawValue) \(target) from \(client.isEmpty ? "unknown" : client)") }
        metrics?.requestStarted()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(request, context, status: 500, duration: ContinuousClock.now - started)
            throw error
        }
        let elapsed = ContinuousClock.now - started
        record(request, context, status: response.status.code, duration: elapsed)
        guard logs else { return response }
        // In key order, as the text format writes them; the line adds `aborted` and `status`.
        // Room for the line's own `aborted` and `status` too: one allocation for the whole line.
        var fields: [(String, String)] = []
        fields.reserveCapacity(5)
        fields.append(("duration_ms", FastLogger.milliseconds(elapsed)))
        if let key = context.logFields.key { fields.append(("key", key)) }
        if let plugin = context.logFields.plugin { fields.append(("plugin", plugin)) }
        context.logFields.responseLine = ResponseLogLine(logger: fast, message: "response \(request.method.rawValue) \(target)",
                                                         fields: fields, aborted: context.logFields.aborted)
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, duration: Duration) {
        guard let metrics else { return }
        let route = context.logFields.metrics
            ?? metrics.route(plugin: context.logFields.plugin ?? "host", route: context.logFields.route ?? "unmatched", method: request.method.rawValue)
        metrics.requestFinished(route, status: status, duration: duration)
    }

    /// The path and query with the values of sensitive parameters replaced by `***`.
    func redactedTarget(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = (name.removingPercentEncoding ?? name).lowercased()
            return sensitiveParameters.contains(decoded) ? "\(name)=***" : String(part)
        }
        return path + "?" + parts.joined(separator: "&")
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
