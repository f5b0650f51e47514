import Foundation
import PlugHostConfig

/// What `plughost reload` and `plughost status` ask on the control socket: one line each.
enum ControlCommand: Sendable, Equatable {
    /// The client hung up without asking anything.
    case none
    case reload
    case status
    case unknown(String)

    init(line: String) {
        switch line {
        case "": self = .none
        case "reload": self = .reload
        case "status": self = .status
        default: self = .unknown(line)
        }
    }

    /// The answer to a command the supervisor does not know.
    static func refusal(of command: String) -> String {
        "error: unknown command '\(command)'; the supervisor understands reload and status"
    }
}

/// The answer to `status`: the supervisor, its workers and the quarantined plugins, as JSON.
struct SupervisorStatus: Encodable, Equatable {
    struct WorkerStatus: Encodable, Equatable {
        let pid: Int32
        let generation: Int
        let state: String
        let plugins: Int
    }

    let supervisor: Int32
    let generation: Int
    let workers: [WorkerStatus]
    let quarantined: [QuarantinedPlugin]

    /// One line of JSON with its keys sorted, so that scripts may compare it as text.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
