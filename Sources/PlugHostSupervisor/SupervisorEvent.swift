import PlugHostWorkerLink
import UnixSignals

/// Everything that can happen to a supervisor, delivered one at a time to its loop.
enum SupervisorEvent: Sendable {
    case signal(UnixSignal)
    case message(worker: Int, WorkerMessage)
    case exited(worker: Int, status: WorkerExit)
    case control(ControlCommand, ControlConnection)
    case restart(slot: Int)
    case startTimedOut(worker: Int)
    case stopTimedOut(worker: Int)
    case reloadReplyTimedOut
}

/// Every wait the supervisor sets itself, by name. `[supervisor] start_timeout` and `[server]
/// shutdown_grace` come from host.toml; these are the margins around them.
enum SupervisorTimeouts {
    /// A worker whose crash handler reported a fatal signal is killed if it has not died by then:
    /// a backtrace that never ends must not keep the process (and its connections) forever.
    static let crashedWorkerExit: Double = 30
    /// Beyond `shutdown_grace`, how long a draining or stopping worker may take before SIGKILL.
    static let drainMargin: Double = 5
    /// How long `plughost reload` waits for the old workers to stop accepting before it hears
    /// "ok" anyway (they still finish their requests afterwards).
    static let reloadReply: Double = 5
    /// Before trying again to start a worker that could not be spawned (no descriptors left, say).
    static let spawnRetry: Double = 1
    /// How long an exited worker's exit waits for its last log lines to reach the file: the
    /// pipe ends at once unless a process the worker started still holds it.
    static let logRelayAfterExit: Double = 2
}
