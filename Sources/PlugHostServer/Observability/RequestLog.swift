import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlugHostConfig
import PlugHostObservability

/// One line per answered request, the response line (method, target, client, duration, plugin,
/// key name and prefix), made when the request is answered and written with the status once it is
/// known what the client got (``ResponseDelivery``). A request that is not answered in the step it
/// arrived in also gets a request line as it arrives (method, target, client): the trace of a
/// request still in progress, or of one that never gets an answer. The host's own fast answers
/// (``EventLoopFastPath``) skip that line, and write it when a step makes them wait.
/// Values of sensitive query parameters never reach the log.
/// The outermost step of ``HostMiddleware``: ``begin(_:context:announce:)`` before everything, ``end(_:context:_:status:)`` after.
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

    /// Resolves the client and, when `announce`, logs the request line (else the caller answers
    /// at once, or calls ``announce(_:context:_:)`` when it cannot).
    func begin(_ request: Request, context: HostRequestContext, announce: Bool = true) -> Start {
        let time = ContinuousClock.now
        let client = clients.clientAddress(peer: PeerAddressText.of(context.remoteAddress), forwardedFor: request.headers[.xForwardedFor])
        context.logFields.client = client
        // Redaction and metadata cost more than the rest of this step: skip them when the level
        // would drop the lines anyway.
        let target = fast.isEnabled(.info) ? redactedTarget(path: request.uri.path, query: request.uri.query) : nil
        let start = Start(time: time, target: target)
        if announce { self.announce(request, context: context, start) }
        metrics?.requestStarted()
        return start
    }

    /// The request line, `request METHOD TARGET from CLIENT`.
    func announce(_ request: Request, context: HostRequestContext, _ start: Start) {
        guard let target = start.target else { return }
        fast.log(.info, "request \(request.method.rawValue) \(target) from \(Self.client(context))")
    }

    private static func client(_ context: HostRequestContext) -> String {
        context.logFields.client.isEmpty ? "unknown" : context.logFields.client
    }

    /// Records the route's metrics and leaves the response line for ``ResponseDelivery``.
    func end(_ request: Request, context: HostRequestContext, _ start: Start, status: HTTPResponse.Status) {
        let elapsed = ContinuousClock.now - start.time
        record(request, context, status: status.code, duration: elapsed)
        guard let target = start.target else { return }
        // In key order, as the text format writes them; the line adds `aborted` and `status`.
        // Room for the line's own `aborted` and `status` too: one allocation for the whole line.
        var fields: [(String, String)] = []
        fields.reserveCapacity(7)
        fields.append(("client", Self.client(context)))
        fields.append(("duration_ms", FastLogger.milliseconds(elapsed)))
        if let key = context.logFields.key { fields.append(("key", key)) }
        if let prefix = context.logFields.keyPrefix { fields.append(("key_prefix", prefix)) }
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
