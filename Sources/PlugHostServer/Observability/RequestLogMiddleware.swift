import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlugHostConfig
import PlugHostObservability

/// Logs each request as it arrives (method, path, client) and as it is answered (status,
/// duration, plugin, key name). Values of sensitive query parameters never reach the log.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = HostRequestContext

    let logger: Logger
    let clients: ClientAddressResolver
    let sensitiveParameters: Set<String>
    let metrics: HostMetrics?

    init(logger: Logger, settings: LoggingSettings, metrics: HostMetrics? = nil) {
        self.logger = logger
        self.metrics = metrics
        clients = ClientAddressResolver(trustedProxies: settings.trustedProxies)
        sensitiveParameters = Set(settings.sensitiveQueryParameters.map { $0.lowercased() })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let client = clients.clientAddress(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[.xForwardedFor])
        context.logFields.client = client
        // Redaction and metadata cost more than the rest of this middleware: skip them when the
        // level would drop the lines anyway.
        let logs = logger.logLevel <= .info
        let target = logs ? redactedTarget(path: request.uri.path, query: request.uri.query) : ""
        if logs { logger.info("request \(request.method) \(target) from \(client.isEmpty ? "unknown" : client)") }
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
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = ["status": "\(response.status.code)", "duration_ms": "\(String(format: "%.2f", milliseconds))"]
        if let plugin = context.logFields.plugin { metadata["plugin"] = "\(plugin)" }
        if let key = context.logFields.key { metadata["key"] = "\(key)" }
        logger.info("response \(request.method) \(target)", metadata: metadata)
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
