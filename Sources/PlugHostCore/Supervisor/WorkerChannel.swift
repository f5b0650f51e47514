import Foundation

/// Where a worker finds what the supervisor hands it: fixed descriptor numbers, the same in both.
public enum WorkerDescriptor {
    /// A Unix stream socket: worker → supervisor messages (one JSON line each); end of file on the
    /// worker's side means the supervisor is gone.
    public static let control: Int32 = 3
    /// The crash record (plughost_process.h).
    public static let crashRecord: Int32 = 4
    /// A pipe: the worker's `[logging] file` lines, written to the file by the supervisor alone, so
    /// that one process rotates it.
    public static let logFile: Int32 = 5
    /// The listening socket.
    public static let listener: Int32 = 6
    /// The plain-HTTP redirect socket, when `[server] http_port` is set.
    public static let redirectListener: Int32 = 7
}

/// One message a worker sends its supervisor.
public struct WorkerMessage: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        /// Listening: plugins loaded, sockets served.
        case ready
        /// Could not start; `error` says why. The worker exits next.
        case failed
        /// No longer accepting connections: it finishes the ones it has, then exits.
        case draining
        /// A fatal signal arrived (sent by the crash handler); the worker dies next, perhaps after
        /// the Swift runtime has printed a backtrace.
        case crashed
    }

    public var event: Event
    public var plugins: Int?
    public var error: String?

    public init(event: Event, plugins: Int? = nil, error: String? = nil) {
        self.event = event
        self.plugins = plugins
        self.error = error
    }

    /// The message as one line, newline included.
    var line: Data {
        var data = (try? JSONEncoder().encode(self)) ?? Data(#"{"event":"failed"}"#.utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    init?(line: Substring) {
        guard let message = try? JSONDecoder().decode(WorkerMessage.self, from: Data(line.utf8)) else { return nil }
        self = message
    }
}

/// A plugin file the supervisor will not let workers load: it crashed them too often.
public struct QuarantinedPlugin: Codable, Sendable, Equatable, Hashable {
    /// File name in the plugins directory.
    public let file: String
    /// The file's content as quarantined; a changed file is loaded again.
    public let sha256: String
    /// The plugin's declared name, when the crashes happened after it was read.
    public let name: String
    /// What happened, for `/api/plugins` and the log.
    public let reason: String

    public init(file: String, sha256: String, name: String, reason: String) {
        self.file = file
        self.sha256 = sha256
        self.name = name
        self.reason = reason
    }
}
