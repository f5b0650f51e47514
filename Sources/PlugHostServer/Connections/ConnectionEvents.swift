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
    /// HTTP/2 abuse is logged per client: one attacker's flood neither fills the log nor hides
    /// another client's lines.
    private let http2Abuse = ClientLogThrottle()

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

    /// An HTTP/2 stream reset by the host: the client left its window shut for `send_timeout`
    /// (`seconds`), or the stream went past the bound on buffered response bytes.
    func resetStream(address: String, reason: HTTP2StreamEnd, seconds: Double) {
        metrics?.http2StreamEnded(reason: reason.rawValue)
        guard let leftOut = http2Abuse.admit(client: address) else { return }
        let why = switch reason {
        case .sendTimeout: "the client took none of its response for \(seconds) s ([limits] send_timeout)"
        case .bufferedBytes: "its response bytes waiting for the client went past the bound of the stream or the connection"
        case .cancelledBeforeHandler: "the client cancelled it before its handler ran"
        }
        logger.info("reset an HTTP/2 stream from \(address): \(why)\(Self.note(leftOut, "reset"))")
    }

    /// A stream the client cancelled before its handler ran: never handed to a plugin, counted,
    /// not logged (a rapid-reset flood is logged once, by its GOAWAY).
    func cancelledBeforeHandler() {
        metrics?.http2StreamEnded(reason: HTTP2StreamEnd.cancelledBeforeHandler.rawValue)
    }

    /// The host ended an HTTP/2 connection early with a GOAWAY whose `lastStreamID` is the last
    /// stream it took.
    func endedConnection(address: String, reason: HTTP2ConnectionEnd, lastStreamID: Int) {
        metrics?.http2ConnectionEnded(reason: reason.rawValue)
        guard let leftOut = http2Abuse.admit(client: "\(address) \(reason.rawValue)") else { return }
        let why = switch reason {
        case .tooManyPings: "too many PINGs"
        case .tooManyResets: "too many streams cancelled (rapid reset)"
        case .pingTimeout: "it did not answer the PING after its idle GOAWAY within [limits] request_head_timeout"
        }
        let level: Logger.Level = reason == .pingTimeout ? .info : .warning
        logger.log(level: level, "ending an HTTP/2 connection from \(address): \(why); GOAWAY last_stream_id=\(lastStreamID)\(Self.note(leftOut, "ended"))")
    }

    private static func note(_ leftOut: Int, _ verb: String) -> String {
        leftOut == 0 ? "" : "; \(leftOut) more \(verb) since the previous such line, not logged"
    }
}

/// Why the host reset an HTTP/2 stream (the metric's `reason` label).
enum HTTP2StreamEnd: String {
    case sendTimeout = "send_timeout"
    case bufferedBytes = "buffered_bytes"
    case cancelledBeforeHandler = "cancelled_before_handler"
}

/// Why the host ended an HTTP/2 connection early (the metric's `reason` label).
enum HTTP2ConnectionEnd: String {
    case tooManyPings = "too_many_pings"
    case tooManyResets = "too_many_resets"
    case pingTimeout = "ping_timeout"
}
