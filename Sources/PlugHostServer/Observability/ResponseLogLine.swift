import PlugHostObservability

/// Why the request log says a request was aborted (`aborted=REASON`).
enum AbortReason: String, Sendable {
    /// `[server] shutdown_grace` ran out while the request was in progress: the host answered 503
    /// for a plugin that had not answered, or closed the connection.
    case shutdownGrace = "shutdown_grace"
    /// The connection (or HTTP/2 stream) closed before the whole response was written to it: the
    /// client went away or reset the stream.
    case connectionClosed = "connection_closed"

    /// Why a response did not reach its client: the grace's end if it has come, else the connection.
    static func lostResponse(grace: ShutdownGrace?) -> AbortReason {
        grace?.hasExpired == true ? .shutdownGrace : .connectionClosed
    }
}

/// What became of a response: written to the connection in full, with the status sent, or not.
enum ResponseOutcome: Sendable {
    case delivered(status: Int)
    case notDelivered(AbortReason)
}

/// The request log's `response` line, made by ``RequestLog`` when the answer is ready
/// and written by ``ResponseDelivery`` once it is known what the client got: the line says the
/// status the client received, or `status=aborted` when the response did not reach it, with
/// `aborted=REASON` whenever the request was cut short (docs/OBSERVABILITY.md).
///
/// A class: the line passes from the request to the channel's mailbox to its handler, and a
/// reference is one retain where a value would copy its logger, message and fields each time.
/// One owner at a time (the request's step that made it, then the mailbox under its lock, then
/// the handler on the event loop), so its two changing fields need no lock of their own.
final class ResponseLogLine: @unchecked Sendable {
    let logger: FastLogger
    /// `response METHOD TARGET`
    let message: LogMessage
    /// `client`, `duration_ms`, `key`, `key_prefix`, `plugin`, in key order; `write` adds `aborted` and `status`.
    private var fields: [(String, String)]
    /// Set when the host cut the request short before its answer was ready (shutdown_grace).
    let aborted: AbortReason?
    /// ``hold()`` was called: the line is pushed as the log queue's held line.
    private var held = false
    private var written = false

    init(logger: FastLogger, message: LogMessage, fields: [(String, String)], aborted: AbortReason?) {
        self.logger = logger
        self.message = message
        self.fields = fields
        self.aborted = aborted
    }

    /// Called just before the response's last part goes to the socket: a worker that crashes
    /// after the client got the response still writes this line (``FastLogger/hold(_:)``).
    func hold() {
        held = logger.hold(.info)
    }

    /// Writes the line, once; its fields become the written line's without a copy.
    func write(_ outcome: ResponseOutcome) {
        guard !written else { return }
        written = true
        let status: String
        var reason = aborted
        switch outcome {
        case .delivered(let code):
            status = String(code)
        case .notDelivered(let why):
            status = "aborted"
            reason = reason ?? why
        }
        // In key order, as the text format writes them: aborted, client, duration_ms, key, key_prefix, plugin, status.
        // Taken out of the line rather than copied, so the additions go into its reserved room.
        var all: [(String, String)] = []
        swap(&all, &fields)
        if let reason { all.insert(("aborted", reason.rawValue), at: 0) }
        all.append(("status", status))
        if held {
            logger.logHeld(.info, message, fields: all)
        } else {
            logger.log(.info, message, fields: all)
        }
    }
}
