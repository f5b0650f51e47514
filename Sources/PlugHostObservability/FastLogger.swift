public import Logging

/// The request log's way to the log queue: the lines every request writes (request, auth,
/// response) rendered straight into the queue, without swift-log's handler, metadata
/// dictionaries and merges, which cost more than the rest of the request log. Same lines, same
/// level, same format, same sinks as the process's `Logger`s. Before logging is set up (a unit
/// test's middleware), the lines go to the `Logger` it was made from. A class: every response
/// line keeps it, and a reference is one retain where the logger inside would be several.
public final class FastLogger: Sendable {
    /// The queue's side, once ``LoggingSetup/bootstrap(_:baseDirectory:toSupervisor:)`` has run.
    struct Queued: Sendable {
        let minimumLevel: Logger.Level
        let format: LogLineFormat
        let writer: LogWriter
    }

    private let queued: Queued?
    private let logger: Logger

    public init(_ logger: Logger) {
        self.logger = logger
        queued = LoggingSetup.queued
    }

    public func isEnabled(_ level: Logger.Level) -> Bool { queued.map { level >= $0.minimumLevel } ?? (level >= logger.logLevel) }

    /// Writes `message` with `fields` (in key order, as the text format prints them).
    public func log(_ level: Logger.Level, _ message: LogMessage, fields: [(String, String)] = []) {
        guard let queued else {
            var metadata: Logger.Metadata = [:]
            for (key, value) in fields { metadata[key] = .string(value) }
            logger.log(level: level, "\(message.text)", metadata: metadata)
            return
        }
        guard level >= queued.minimumLevel else { return }
        queued.format.withLine(level: level, message: message, fields: fields, label: logger.label) { queued.writer.enqueue($0) }
    }

    /// For a line that can only be made once what it reports has happened (the response line,
    /// once the response is out): call before it happens, then ``logHeld(_:_:fields:)`` exactly
    /// once when `true` came back. A worker that crashes in between still writes the line, and
    /// once its crash handler has begun this never returns (so the event is not shown to anyone).
    public func hold(_ level: Logger.Level) -> Bool {
        guard let queued, level >= queued.minimumLevel else { return false }
        queued.writer.hold()
        return true
    }

    /// Writes the line a ``hold(_:)`` that returned `true` announced.
    public func logHeld(_ level: Logger.Level, _ message: LogMessage, fields: [(String, String)]) {
        guard let queued else { return }
        queued.format.withLine(level: level, message: message, fields: fields, label: logger.label) { queued.writer.enqueueHeld($0) }
    }

    /// Milliseconds with two decimals, as `String(format: "%.2f")` writes them, without Foundation.
    public static func milliseconds(_ duration: Duration) -> String {
        let thousandths = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let hundredths = (thousandths + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
