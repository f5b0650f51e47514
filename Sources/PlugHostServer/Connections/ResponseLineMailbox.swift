import NIOCore
import Synchronization

/// Where a request's task leaves its response log line for the ``ResponseDelivery`` handler of
/// its connection (or HTTP/2 stream). The task runs off the event loop; handing the line down the
/// pipeline as an outbound event cost a hop to the loop, a promise and its callback on every
/// request (PERFORMANCE.md). A lock-protected slot costs two uncontended locks and no allocation.
///
/// Ordering: the task puts the line before it writes the response, and the write reaches the
/// handler on the loop after that, so the handler always finds the line of the response whose end
/// it sees. A channel that closes first closes the mailbox under the same lock: a line put after
/// that is written at once as not delivered, so no line is lost either way.
final class ResponseLineMailbox: Sendable {
    private enum State {
        case open(ResponseLogLine?)
        case closed
    }

    private let state = Mutex(State.open(nil))

    /// Task side. Leaves `line` for the handler. Returns the lines that are not delivered: `line`
    /// itself when the channel has closed already, and a line still waiting from an earlier
    /// response whose end never came this way.
    func put(_ line: ResponseLogLine) -> (refused: ResponseLogLine?, stale: ResponseLogLine?) {
        state.withLock { state in
            switch state {
            case .closed: return (line, nil)
            case .open(let waiting):
                state = .open(line)
                return (nil, waiting)
            }
        }
    }

    /// Handler side: the line of the response being ended, if its task left one.
    func take() -> ResponseLogLine? {
        state.withLock { state in
            guard case .open(let line) = state else { return nil }
            state = .open(nil)
            return line
        }
    }

    /// Handler side, when the channel goes away: no line is taken any more; returns the one waiting.
    func close() -> ResponseLogLine? {
        state.withLock { state in
            defer { state = .closed }
            guard case .open(let line) = state else { return nil }
            return line
        }
    }
}

/// The mailbox of each channel that has a ``ResponseDelivery``, found from the request's task by
/// the channel's identity (Hummingbird hands the responder the channel, not its handlers).
enum ResponseLineMailboxes {
    private static let byChannel = Mutex<[ObjectIdentifier: ResponseLineMailbox]>([:])

    static func register(_ mailbox: ResponseLineMailbox, for channel: any Channel) {
        byChannel.withLock { $0[ObjectIdentifier(channel)] = mailbox }
    }

    static func unregister(_ channel: any Channel) {
        byChannel.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    static func mailbox(of channel: any Channel) -> ResponseLineMailbox? {
        byChannel.withLock { $0[ObjectIdentifier(channel)] }
    }
}
