import Foundation

/// The control socket's commands (`plughost reload`, `plughost status`), answered in the loop.
extension Supervisor {
    func answer(_ command: ControlCommand, on connection: ControlConnection) {
        switch command {
        case .none:
            connection.close()
        case .reload:
            beginReload(reply: connection)
        case .status:
            let status = SupervisorStatus(supervisor: getpid(), generation: servingGeneration, workers: workers.statuses, quarantined: quarantined)
            connection.send(status.json)
            connection.close()
        case .unknown(let text):
            connection.send(ControlCommand.refusal(of: text))
            connection.close()
        }
    }
}
