import Logging
import PlugHostObservability

/// The log lines and metrics of connections the host closes before their first request: refused
/// at accept by `[limits] max_connections_per_client`, or closed at `request_head_timeout`. A
/// client can cause these at will, thousands a second, so each kind is logged at most once every
/// 10 seconds, with the number left out since the line before; the metrics count every one.
struct ConnectionEvents: Sendable {
    let logger: Logger
    let metrics: HostMetrics?
    private let refusals = LogThrottle()
    private let timeouts = LogThrottle()

    init(logger: Logger, metrics: HostMetrics?) {
        self.logger = logger
        self.metrics = metrics
    }

    /// `address` is the peer's IP address as the socket gives it, never anything the client sent.
    func refusedOverPerClientLimit(address: String, limit: Int) {
        metrics?.connectionRefusedOverPerClientLimit()
        guard let leftOut = refusals.admit() else { return }
        logger.warning("refused a connection from \(address): it already has \(limit) open ([limits] max_connections_per_client)\(Self.note(leftOut, "refused"))")
    }

    /// A connection closed at `request_head_timeout`: before its TLS handshake ended
    /// (`inHandshake`), or with no complete first request head.
    func timedOutBeforeFirstRequest(address: String, inHandshake: Bool, seconds: Double) {
        metrics?.connectionTimedOut(inHandshake: inHandshake)
        guard let leftOut = timeouts.admit() else { return }
        let missing = inHandshake ? "no TLS handshake and request head" : "no complete request head"
        logger.info("closing a connection from \(address): \(missing) within \(seconds) s ([limits] request_head_timeout)\(Self.note(leftOut, "closed"))")
    }

    private static func note(_ leftOut: Int, _ verb: String) -> String {
        leftOut == 0 ? "" : "; \(leftOut) more \(verb) since the previous such line, not logged"
    }
}
