public import Logging
import Synchronization

/// One line the host or a plugin logged while a ``TestHost`` ran.
public struct LogEntry: Sendable, CustomStringConvertible {
    public let level: Logger.Level
    public let message: String
    /// The plugin whose line it is (the `plugin` metadata every plugin's logger carries), or nil
    /// for the host's own lines.
    public let plugin: String?
    public let metadata: [String: String]

    public var description: String {
        let fields = metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }.joined(separator: " ")
        return "\(level) \(message)\(fields.isEmpty ? "" : " " + fields)"
    }
}

/// Keeps every line logged through the test host's logger, in order.
final class CapturedLog: Sendable {
    private let entries = Mutex<[LogEntry]>([])

    func append(_ entry: LogEntry) { entries.withLock { $0.append(entry) } }

    var all: [LogEntry] { entries.withLock { $0 } }

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "plughost.test") { label in CapturingLogHandler(log: self) }
        logger.logLevel = level
        return logger
    }
}

/// A swift-log handler that appends to a ``CapturedLog`` instead of writing anywhere.
struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.mapValues { "\($0)" }
        log.append(LogEntry(level: event.level, message: "\(event.message)", plugin: fields["plugin"], metadata: fields))
    }
}
