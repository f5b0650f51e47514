package import FoundationEssentials
import Glibc

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
    package var line: Data {
        var data = (try? JSONEncoder().encode(self)) ?? Data(#"{"event":"failed"}"#.utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    package init?(line: Substring) {
        guard let message = try? JSONDecoder().decode(WorkerMessage.self, from: Data(line.utf8)) else { return nil }
        self = message
    }
}
