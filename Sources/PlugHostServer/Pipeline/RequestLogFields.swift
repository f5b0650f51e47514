import PlugHostObservability

/// What inner layers learn about a request that the logging middleware, outermost, reports:
/// the resolved client address, the plugin that served it, the authenticated key's name, the
/// route template, the route's metrics, whether the host cut it short; and the response line the
/// middleware leaves for ``ConnectionResponder`` to hand to ``ResponseDelivery`` with the response.
///
/// A reference, because a Hummingbird context travels inward by value and changes made deeper
/// in the chain are otherwise invisible to the middleware that wraps them. No lock: one request's
/// fields belong to that request's task, which writes and reads them in order (a task may move
/// between threads, but its steps are sequenced). Nothing outside the request's task touches them.
final class RequestLogFields: @unchecked Sendable {
    /// The answering plugin route's metrics, set once by its responder (no lookup per request).
    var metrics: HostMetrics.RouteMetrics?
    var client = ""
    var plugin: String?
    /// The route template that answered (never the raw path), for metrics.
    var route: String?
    var key: String?
    /// The authenticated key's visible prefix (`env` for the key from the environment): the
    /// response line carries what the `auth ok` line carried.
    var keyPrefix: String?
    /// Set when the host cut the request short (shutdown_grace) before its answer was ready.
    var aborted: AbortReason?
    /// The response line, once the answer is ready; written when it is known what the client got.
    var responseLine: ResponseLogLine?
}
