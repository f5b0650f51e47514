public import Logging

/// The request log's way to the log queue: the lines every request writes (request, auth,
/// response) rendered straight into the queue, without swift-log's handler, metadata
/// dictionaries and merges, which cost more than the rest of the request log. Same lines, same
/// level, same format, same sinks as the process's `Logger`s.
public struct FastLogger: Sendable {
    let label: String
    let minimumLevel: Logger.Level
    let format: LogLineFormat
    let writer: LogWriter

    public func isEnabled(_ level: Logger.Level) -> Bool { level >= minimumLevel }

    /// Writes `message` with `fields` (in key order, as the text format prints them).
    public func log(_ level: Logger.Level, _ message: String, fields: [(String, String)] = []) {
        guard level >= minimumLevel else { return }
        writer.enqueue(format.render(level: level, message: message, fields: fields, label: label))
    }

    /// Milliseconds with two decimals, as `String(format: "%.2f")` writes them, without Foundation.
    public static func milliseconds(_ duration: Duration) -> String {
        let thousandths = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let hundredths = (thousandths + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
