import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlugHostConfig
import PlugHostObservability

/// Logs each request as it arrives (method, path, client) and makes its response line (duration,
/// plugin, key name) when it is answered; the line is written with the status once it is known
/// what the client got (``ResponseDelivery``). Values of sensitive query parameters never reach the log.
/// The outermost step of ``HostMiddleware``: ``begin(_:context:)`` before everything, ``end(_:context:_:status:)`` after.
struct RequestLog: Sendable {
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

    /// What ``begin(_:context:)`` learnt, for ``end(_:context:_:status:)``.
    struct Start {
        let time: ContinuousClock.Instant
        /// The target as logged; nil when the lines are not logged at this level.
        let target: String?
    }

    /// Resolves the client and logs the request line.
    func begin(_ request: Request, context: HostRequestContext) -> Start {
        let time = ContinuousClock.now
        let client = clients.clientAddress(peer: PeerAddressText.of(context.remoteAddress), forwardedFor: request.headers[.xForwardedFor])
        context.logFields.client = client
        // Redaction and metadata cost more than the rest of this step: skip them when the level
        // would drop the lines anyway.
        let target = fast.isEnabled(.info) ? redactedTarget(path: request.uri.path, query: request.uri.query) : nil
        if let target { fast.log(.info, "request \(request.method.rawValue) \(target) from \(client.isEmpty ? "unknown" : client)") }
        metrics?.requestStarted()
        return Start(time: time, target: target)
    }

    /// Records the route's metrics and leaves the response line for ``ResponseDelivery``.
    func end(_ request: Request, context: HostRequestContext, _ start: Start, status: HTTPResponse.Status) {
        let elapsed = ContinuousClock.now - start.time
        record(request, context, status: status.code, duration: elapsed)
        guard let target = start.target else { return }
        // In key order, as the text format writes them; the line adds `aborted` and `status`.
        // Room for the line's own `aborted` and `status` too: one allocation for the whole line.
        var fields: [(String, String)] = []
        fields.reserveCapacity(5)
        fields.append(("duration_ms", FastLogger.milliseconds(elapsed)))
        if let key = context.logFields.key { fields.append(("key", key)) }
        if let plugin = context.logFields.plugin { fields.append(("plugin", plugin)) }
        context.logFields.responseLine = ResponseLogLine(logger: fast, message: "response \(request.method.rawValue) \(target)",
                                                         fields: fields, aborted: context.logFields.aborted)
    }

    private func record(_ request: Request, _ context: HostRequestContext, status: Int, duration: Duration) {
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
            let decoded = (name.percentDecoded ?? name).lowercased()
            return sensitiveParameters.contains(decoded) ? "\(name)=***" : String(part)
        }
        return path + "?" + parts.joined(separator: "&")
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
