public import Foundation
public import Logging

/// Installs the process-wide logging from `[logging]`: console, plus a rotating file if set.
public enum LoggingSetup {
    /// Call once, before any logger is made. Throws when the log file cannot be opened.
    public static func bootstrap(_ settings: LoggingSettings, baseDirectory: URL) throws -> Logger {
        let level = Logger.Level(rawValue: settings.level) ?? .info
        let format = LogLineFormat(format: settings.format)
        var sinks: [any LogSink] = [ConsoleSink()]
        if !settings.file.isEmpty {
            sinks.append(try RotatingFileSink(url: ConfigLoader.resolve(settings.file, against: baseDirectory),
                                              maxBytes: settings.maxFileSize, keep: settings.maxFiles))
        }
        let all = sinks
        LoggingSystem.bootstrap { label in
            MultiplexLogHandler(all.map { LineLogHandler(label: label, format: format, sink: $0, logLevel: level) })
        }
        return Logger(label: "plughost")
    }
}
