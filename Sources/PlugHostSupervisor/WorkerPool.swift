import PlugHostObservability
import PlugHostSockets

/// The supervisor's workers by id: what each is doing, and the queries the supervisor asks of them.
struct WorkerPool {
    enum Role: String {
        case starting, serving, draining, stopping
        /// Its crash handler reported a fatal signal; a replacement is on its way while it dies.
        case crashed
    }

    struct Worker {
        let process: WorkerProcess
        /// The sockets it serves; a reload to another address gives new workers new ones.
        let listeners: Listeners
        let slot: Int
        var role: Role
        var plugins = 0
        var failure: String?
        /// Killed by the supervisor for not starting within `start_timeout`.
        var timedOut = false
    }

    private var workers: [Int: Worker] = [:]
    private var nextID = 1

    var isEmpty: Bool { workers.isEmpty }
    var count: Int { workers.count }

    subscript(id: Int) -> Worker? {
        get { workers[id] }
        set { workers[id] = newValue }
    }

    /// Starts `plughost worker ARGUMENTS` serving `listeners`; returns its id.
    mutating func spawn(slot: Int, generation: Int, arguments: [String], listeners: Listeners, logSink: (any LogSink)?,
                        events: AsyncStream<SupervisorEvent>.Continuation) throws -> Int {
        let id = nextID
        nextID += 1
        let process = try WorkerProcess.spawn(id: id, generation: generation, arguments: arguments, listeners: listeners,
                                              logSink: logSink, events: events)
        workers[id] = Worker(process: process, listeners: listeners, slot: slot, role: .starting)
        return id
    }

    mutating func remove(_ id: Int) -> Worker? { workers.removeValue(forKey: id) }

    /// Asks worker `id` to finish its requests and exit, noting why.
    mutating func drain(_ id: Int, as role: Role) {
        guard let worker = workers[id] else { return }
        workers[id]?.role = role
        worker.process.drain()
    }

    func killAll() { workers.values.forEach { $0.process.kill() } }

    var ids: [Int] { Array(workers.keys) }

    func ids(where include: (Worker) -> Bool) -> Set<Int> { Set(workers.filter { include($0.value) }.keys) }

    /// Whether no worker is still starting.
    var noneStarting: Bool { workers.values.allSatisfy { $0.role != .starting } }

    /// The plugins a worker of `generation` serves, and how many workers it has.
    func summary(ofGeneration generation: Int) -> (plugins: Int, workers: Int) {
        let members = workers.values.filter { $0.process.generation == generation }
        return (members.first?.plugins ?? 0, members.count)
    }

    /// The sockets some worker still serves.
    var heldListeners: [Listeners] { workers.values.map(\.listeners) }

    var statuses: [SupervisorStatus.WorkerStatus] {
        workers.values.sorted { $0.process.id < $1.process.id }.map {
            .init(pid: $0.process.pid, generation: $0.process.generation, state: $0.role.rawValue, plugins: $0.plugins)
        }
    }
}
