public import Foundation
public import Logging
public import PlugHostConfig
import Synchronization

/// Installs the process-wide logging from `[logging]`: console, plus a rotating file if set.
public enum LoggingSetup {
    /// Call once, before any logger is made. Throws when the log file cannot be opened.
    /// `toSupervisor`: a worker's descriptor for its `[logging] file` lines, which the supervisor
    /// writes to the file, so that one process alone appends to it and rotates it.
    public static func bootstrap(_ settings: LoggingSettings, baseDirectory: URL, toSupervisor: Int32? = nil) throws -> Logger {
        let level = Logger.Level(rawValue: settings.level) ?? .info
        let format = LogLineFormat(format: settings.format)
        var sinks: [any LogSink] = [ConsoleSink()]
        if !settings.file.isEmpty {
            let file: any LogSink = if let toSupervisor {
                DescriptorSink(descriptor: toSupervisor)
            } else {
                try RotatingFileSink(url: ConfigLoader.resolve(settings.file, against: baseDirectory),
                                     maxBytes: settings.maxFileSize, keep: settings.maxFiles)
            }
            sinks.append(file)
            installedFileSink.withLock { $0 = file }
        }
        let all = sinks
        LoggingSystem.bootstrap { label in
            MultiplexLogHandler(all.map { LineLogHandler(label: label, format: format, sink: $0, logLevel: level) })
        }
        return Logger(label: "plughost")
    }

    private static let installedFileSink = Mutex<(any LogSink)?>(nil)

    /// The `[logging] file` sink ``bootstrap`` installed, if any: the supervisor writes its
    /// workers' lines to it too.
    public static var fileSink: (any LogSink)? { installedFileSink.withLock { $0 } }
}
