public import FoundationEssentials
import Glibc
public import Logging
public import PlugHostConfig
import Synchronization

/// Installs the process-wide logging from `[logging]`: console, plus a rotating file if set.
/// Lines are rendered once and written by one thread (``LogWriter``), never on the request path.
public enum LoggingSetup {
    /// Call once, before any logger is made. Throws when the log file cannot be opened.
    /// `toSupervisor`: a worker's descriptor for its `[logging] file` lines, which the supervisor
    /// writes to the file, so that one process alone appends to it and rotates it.
    /// `console`: where console lines go, standard output unless a command answers there.
    public static func bootstrap(_ settings: LoggingSettings, baseDirectory: URL, toSupervisor: Int32? = nil,
                                 console: Int32 = 1 /* standard output */) throws -> Logger {
        let level = Logger.Level(rawValue: settings.level) ?? .info
        let format = LogLineFormat(format: settings.format)
        var sinks: [any LogSink] = [ConsoleSink(descriptor: console)]
        let writerBox = Mutex<LogWriter?>(nil)
        if !settings.file.isEmpty {
            let file: any LogSink = if let toSupervisor {
                DescriptorSink(descriptor: toSupervisor)
            } else {
                try RotatingFileSink(url: ConfigLoader.resolve(settings.file, against: baseDirectory),
                                     maxBytes: settings.maxFileSize, keep: settings.maxFiles,
                                     onRotate: { writerBox.withLock { $0 }?.updateCrashDescriptors() })
            }
            sinks.append(file)
            installedFileSink.withLock { $0 = file }
        }
        let writer = LogWriter(sinks: sinks, capacity: settings.queueSize)
        writerBox.withLock { $0 = writer }
        installed.withLock { $0 = writer }
        queuedLines.withLock { $0 = FastLogger.Queued(minimumLevel: level, format: format, writer: writer) }
        // Lines still queued when the process exits (a command's last words, a worker's exit).
        atexit { LoggingSetup.flush() }
        LoggingSystem.bootstrap { label in
            QueuedLogHandler(label: label, format: format, writer: writer, logLevel: level)
        }
        return Logger(label: "plughost")
    }

    private static let installedFileSink = Mutex<(any LogSink)?>(nil)
    private static let installed = Mutex<LogWriter?>(nil)
    private static let queuedLines = Mutex<FastLogger.Queued?>(nil)

    /// Where ``FastLogger`` writes, once ``bootstrap`` has run.
    static var queued: FastLogger.Queued? { queuedLines.withLock { $0 } }

    /// The `[logging] file` sink ``bootstrap`` installed, if any: the supervisor writes its
    /// workers' lines to it too.
    public static var fileSink: (any LogSink)? { installedFileSink.withLock { $0 } }

    /// Returns once every line logged so far has been written.
    public static func flush() {
        installed.withLock { $0 }?.flush()
    }
}
