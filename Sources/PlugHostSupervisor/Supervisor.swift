public import Foundation
public import Logging
import UnixSignals
public import PlugHostWorkerLink
public import PlugHostConfig
public import PlugHostSockets
public import PlugHostObservability
public import PlugHostTLS

/// Everything that can happen to a supervisor, delivered one at a time to its loop.
enum SupervisorEvent: Sendable {
    case signal(UnixSignal)
    case message(worker: Int, WorkerMessage)
    case exited(worker: Int, status: WorkerExit)
    case control(String, ControlConnection)
    case restart(slot: Int)
    case startTimedOut(worker: Int)
    case stopTimedOut(worker: Int)
    case drainNoticeTimedOut
}

/// The master process (docs/OPERATIONS.md): binds the listening sockets, runs the host in worker
/// processes that inherit them, replaces a worker that dies, quarantines a plugin that keeps
/// crashing workers, and reloads configuration and plugins into new workers without dropping a
/// connection. It loads no plugin and runs no plugin code, so no plugin can take it down.
///
/// Not thread-safe: ``run()`` owns it, and every event reaches it through one stream, in order.
public final class Supervisor {
    /// How `plughost serve` was asked to run; reloads re-read host.toml with the same overrides.
    public struct Launch: Sendable {
        public var configPath: String?
        public var host: String?
        public var port: Int?
        public var logLevel: String?

        public init(configPath: String?, host: String?, port: Int?, logLevel: String?) {
            self.configPath = configPath
            self.host = host
            self.port = port
            self.logLevel = logLevel
        }

        /// host.toml with the command line's overrides applied.
        public func loadConfig() throws -> HostConfig {
            var config = try ConfigLoader.load(path: configPath)
            if let host { config.server.host = host }
            if let port { config.server.port = port }
            return config
        }
    }

    private enum Role: String {
        case starting, serving, draining, stopping
        /// Its crash handler reported a fatal signal; a replacement is on its way while it dies.
        case crashed
    }

    private struct Worker {
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

    private struct PendingReload {
        let generation: Int
        let config: HostConfig
        let listeners: Listeners
        let reply: ControlConnection?
        var waiting: Set<Int>
    }

    private let launch: Launch
    private var config: HostConfig
    private let logger: Logger
    private let fileSink: (any LogSink)?
    /// The sockets the serving generation accepts from.
    private var listeners: Listeners?
    /// Sockets of an address no longer served, closed once no worker holds them.
    private var retired: [ListeningSocket] = []
    private let events: AsyncStream<SupervisorEvent>
    private let continuation: AsyncStream<SupervisorEvent>.Continuation
    private var workers: [Int: Worker] = [:]
    private var nextWorkerID = 1
    /// The generation that serves: replacements of crashed workers join it.
    private var servingGeneration = 1
    /// The newest generation started, serving or still starting in a reload.
    private var newestGeneration = 1
    private var everReady = false
    private var reload: PendingReload?
    /// A reload's success, told to `plughost reload` once no old worker accepts any more: from
    /// then on every new connection reaches the new workers.
    private var reloadAnswer: (connection: ControlConnection, message: String, waiting: Set<Int>)?
    private var policy: CrashPolicy
    private var quarantined: [QuarantinedPlugin] = []
    private var stopping = false
    private var exitStatus: Int32 = 0
    private let clock = ContinuousClock()
    private let origin = ContinuousClock.now

    public init(launch: Launch, config: HostConfig, logger: Logger, fileSink: (any LogSink)?) {
        self.launch = launch
        self.config = config
        self.logger = logger
        self.fileSink = fileSink
        policy = CrashPolicy(config.supervisor)
        (events, continuation) = AsyncStream.makeStream(of: SupervisorEvent.self)
    }

    /// Serves until SIGTERM or SIGINT, then stops every worker gracefully. Returns the exit status:
    /// 0, or the first worker's when the host cannot start at all.
    public func run() async throws -> Int32 {
        // A client that hangs up on the control socket, or a closed stdout, must cost a failed
        // write, not the supervisor.
        signal(SIGPIPE, SIG_IGN)
        listeners = try Listeners.bind(config)
        defer {
            listeners?.main.close()
            listeners?.redirect?.close()
            retired.forEach { $0.close() }
        }
        // The certificate is made here, once, rather than raced for by several new workers.
        if config.tls.enabled { _ = try TLSSetup.configuration(config.tls, config: config, logger: logger) }
        let control = openControlSocket()
        defer { control?.close() }
        let continuation = continuation
        let signals = Task {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
                continuation.yield(.signal(signal))
            }
        }
        defer { signals.cancel() }
        control?.serve { command, connection in continuation.yield(.control(command, connection)) }
        logger.info("supervisor \(getpid()) starting \(config.supervisor.workers) worker(s)")
        if config.supervisor.workers > 1, config.rateLimit.enabled, config.rateLimit.store == "memory" {
            logger.warning("[server] workers = \(config.supervisor.workers) with [rate_limit] store = \"memory\": each worker keeps its own windows, so a client may get up to \(config.supervisor.workers) times its limit; set [rate_limit] store to a Redis URL to share them")
        }
        for slot in 0..<config.supervisor.workers { startWorker(slot: slot, generation: servingGeneration, config: config) }

        for await event in events {
            handle(event)
            if stopping, workers.isEmpty { break }
        }
        if exitStatus == 0 { logger.notice("PlugHost stopped") }
        return exitStatus
    }

    private func openControlSocket() -> ControlSocket? {
        guard !config.supervisor.controlSocket.isEmpty else { return nil }
        let path = config.resolve(config.supervisor.controlSocket).path
        do {
            return try ControlSocket(path: path)
        } catch {
            logger.warning("\(error); plughost reload will not reach this supervisor, SIGHUP to pid \(getpid()) still reloads")
            return nil
        }
    }

    // MARK: Events

    private func handle(_ event: SupervisorEvent) {
        switch event {
        case .signal(.sighup):
            beginReload(reply: nil)
        case .signal:
            if stopping {
                // Asked twice (Ctrl-C again): do not wait for the requests.
                logger.warning("stopping now: killing \(workers.count) worker(s)")
                workers.values.forEach { $0.process.kill() }
            }
            stop()
        case .message(let id, let message):
            received(message, from: id)
        case .exited(let id, let status):
            exited(id, status)
        case .control(let command, let connection):
            answer(command, on: connection)
        case .restart(let slot):
            if !stopping { startWorker(slot: slot, generation: servingGeneration, config: config) }
        case .startTimedOut(let id):
            if let worker = workers[id], worker.role == .starting {
                workers[id]?.failure = "it did not start listening within \(config.supervisor.startTimeout) s ([supervisor] start_timeout)"
                workers[id]?.timedOut = true
                worker.process.kill()
            }
        case .drainNoticeTimedOut:
            answerReloadIfDrained(force: true)
        case .stopTimedOut(let id):
            if let worker = workers[id] {
                logger.warning("worker \(worker.process.pid) did not exit in time (\(worker.role.rawValue)); killing it")
                worker.process.kill()
            }
        }
    }

    private func received(_ message: WorkerMessage, from id: Int) {
        guard let worker = workers[id] else { return }
        switch message.event {
        case .crashed:
            crashed(worker, id: id)
        case .draining:
            reloadAnswer?.waiting.remove(id)
            answerReloadIfDrained()
        case .failed:
            workers[id]?.failure = message.error ?? "no reason given"
        case .ready:
            guard worker.role == .starting else { return }
            workers[id]?.role = .serving
            workers[id]?.plugins = message.plugins ?? 0
            logger.info("worker \(worker.process.pid) (generation \(worker.process.generation)) is serving with \(message.plugins ?? 0) plugin(s)")
            if stopping {
                worker.process.drain()
            } else if var pending = reload, pending.generation == worker.process.generation {
                pending.waiting.remove(id)
                reload = pending
                if pending.waiting.isEmpty { commitReload(pending) }
            } else if !everReady, workers.values.allSatisfy({ $0.role != .starting }) {
                everReady = true
                announceListening()
            }
        }
    }

    /// Where the serving generation listens.
    private var listening: Listening {
        Listening(scheme: config.tls.enabled ? "https" : "http", port: listeners?.main.port ?? 0,
                             redirectPort: listeners?.redirect?.port)
    }

    private var baseURL: String { listening.baseURL(host: config.server.host) }

    private func announceListening(again: Bool = false) {
        let plugins = workers.values.first { $0.process.generation == servingGeneration }?.plugins ?? 0
        let count = workers.values.count { $0.process.generation == servingGeneration }
        listening.announce(host: config.server.host, plugins: plugins, logger: logger, again: again,
                           detail: "supervisor pid \(getpid()), \(count) worker(s)")
    }

    private func exited(_ id: Int, _ status: WorkerExit) {
        guard let worker = workers.removeValue(forKey: id) else { return }
        defer {
            worker.process.release()
            closeRetiredSockets()
        }
        reloadAnswer?.waiting.remove(id)
        answerReloadIfDrained()
        let pid = worker.process.pid
        switch worker.role {
        case .draining, .stopping:
            if let signal = status.signal, signal != SIGKILL {
                logger.error("worker \(pid) (generation \(worker.process.generation)) crashed while draining: it was \(CrashReport.read(descriptor: worker.process.crashRecord, signal: signal))")
            } else {
                logger.info("worker \(pid) (generation \(worker.process.generation)) finished draining and \(status)")
            }
        case .crashed:
            logger.info("crashed worker \(pid) \(status)")
        case .starting where reload?.waiting.contains(id) == true:
            let reason = worker.failure ?? crashDescription(worker, status)
            failReload("the new worker \(pid) could not start: \(reason)")
        case .starting where !everReady && status.signal == nil:
            // The host cannot start at all (bad plugin in strict mode, unreadable key file, ...):
            // the worker said why; stop rather than restart it forever.
            logger.critical("the worker could not start (\(worker.failure ?? "it \(status)")); stopping")
            exitStatus = status.status.map { $0 == 0 ? 1 : $0 } ?? 1
            stop()
        case .starting, .serving:
            guard !stopping else { return }
            restart(after: worker, status)
        }
    }

    private func crashDescription(_ worker: Worker, _ status: WorkerExit) -> String {
        guard let signal = status.signal else { return "it \(status)" }
        return "it was \(CrashReport.read(descriptor: worker.process.crashRecord, signal: signal))"
    }

    /// The worker's crash handler reported a fatal signal. The worker may take seconds more to die
    /// (the Swift runtime prints a backtrace first); its replacement starts now.
    private func crashed(_ worker: Worker, id: Int) {
        guard worker.role == .starting || worker.role == .serving else { return }
        workers[id]?.role = .crashed
        // A backtrace that never ends must not keep the process (and its connections) forever.
        after(30, .stopTimedOut(worker: id))
        let report = CrashReport.read(descriptor: worker.process.crashRecord, signal: nil)
        if reload?.waiting.contains(id) == true {
            failReload("the new worker \(worker.process.pid) crashed while starting: it was \(report)")
            return
        }
        guard !stopping else { return }
        logger.error("worker \(worker.process.pid) (generation \(worker.process.generation)) crashed: it was \(report)")
        replace(worker, culprit: report.culprit)
    }

    /// A worker died unasked without its crash handler saying so first (an exit, or a signal no
    /// handler sees, such as SIGKILL): say why, then replace it.
    private func restart(after worker: Worker, _ status: WorkerExit) {
        var culprit: CrashReport.Plugin?
        let pid = worker.process.pid
        if let signal = status.signal {
            let report = CrashReport.read(descriptor: worker.process.crashRecord, signal: signal)
            culprit = report.culprit
            // A worker that never started, killed while one plugin was loading: that plugin hangs.
            if worker.timedOut, report.otherCalls.count == 1, let loading = report.otherCalls.first, loading.what.hasPrefix("loading ") {
                culprit = loading.plugin
            }
            logger.error("worker \(pid) (generation \(worker.process.generation)) crashed: it was \(report)\(worker.failure.map { " (\($0))" } ?? "")")
        } else {
            logger.error("worker \(pid) (generation \(worker.process.generation)) \(status)\(worker.failure.map { ": \($0)" } ?? "") without being asked to stop")
        }
        replace(worker, culprit: culprit)
    }

    /// Starts a worker in `worker`'s place: now, later (a crash loop), or without the plugin that
    /// keeps crashing workers.
    private func replace(_ worker: Worker, culprit: CrashReport.Plugin?) {
        let pid = worker.process.pid
        let now = (clock.now - origin) / .seconds(1)
        switch policy.record(at: now, culprit: culprit) {
        case .restart:
            logger.notice("starting a new worker in place of \(pid)")
            startWorker(slot: worker.slot, generation: servingGeneration, config: config)
        case .restartAfter(let seconds):
            logger.error("crash loop: \(config.supervisor.crashLimit) or more worker crashes within \(Int(config.supervisor.crashWindow)) s that no single plugin explains; next worker in \(Int(seconds)) s")
            after(seconds, .restart(slot: worker.slot))
        case .quarantine(let plugin):
            let reason = "it crashed a worker \(config.supervisor.crashLimit) times within \(Int(config.supervisor.crashWindow)) s; replace the file (a changed file is loaded again on the next reload) or restart plughost to retry it"
            quarantined.append(QuarantinedPlugin(file: plugin.file, sha256: plugin.sha256, name: plugin.name, reason: reason))
            logger.critical("QUARANTINED plugin \(plugin.shown): \(reason). Workers now start without it; GET /api/plugins lists it as quarantined.")
            startWorker(slot: worker.slot, generation: servingGeneration, config: config)
        }
    }

    /// Starts a worker; when that fails (no descriptors left, say), a worker of the serving
    /// generation is tried again in a second, and a reload's is not (the reload fails).
    @discardableResult
    private func startWorker(slot: Int, generation: Int, config: HostConfig, listeners: Listeners? = nil) -> Bool {
        guard let listeners = listeners ?? self.listeners else { return false }
        let id = nextWorkerID
        nextWorkerID += 1
        do {
            let process = try WorkerProcess.spawn(id: id, generation: generation, arguments: workerArguments(),
                                                  listeners: listeners, logSink: fileSink, events: continuation)
            workers[id] = Worker(process: process, listeners: listeners, slot: slot, role: .starting)
            after(config.supervisor.startTimeout, .startTimedOut(worker: id))
            return true
        } catch {
            guard generation == servingGeneration else {
                logger.error("\(error)")
                return false
            }
            logger.error("\(error); trying again in 1 s")
            after(1, .restart(slot: slot))
            return false
        }
    }

    private func workerArguments() -> [String] {
        var arguments: [String] = []
        if let path = launch.configPath { arguments += ["--config", path] }
        if let level = launch.logLevel { arguments += ["--log-level", level] }
        if let host = launch.host { arguments += ["--host", host] }
        if let port = launch.port { arguments += ["--port", String(port)] }
        if !quarantined.isEmpty, let json = try? JSONEncoder().encode(quarantined) {
            arguments += ["--quarantine", String(decoding: json, as: UTF8.self)]
        }
        return arguments
    }

    private func after(_ seconds: Double, _ event: SupervisorEvent) {
        let continuation = continuation
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            continuation.yield(event)
        }
    }

    // MARK: Reload

    private func beginReload(reply: ControlConnection?) {
        guard !stopping else {
            reply?.send("error: the supervisor is shutting down")
            reply?.close()
            return
        }
        guard reload == nil else {
            reply?.send("error: a reload is already in progress; try again when it has finished")
            reply?.close()
            return
        }
        logger.notice("reload requested: checking host.toml and starting new worker(s)")
        reply?.send("checking host.toml")
        let newConfig: HostConfig
        let newListeners: Listeners
        do {
            newConfig = try launch.loadConfig()
            if newConfig.tls.enabled { _ = try TLSSetup.configuration(newConfig.tls, config: newConfig, logger: logger) }
            newListeners = try listeners(for: newConfig)
        } catch {
            failReload("\(error)", reply: reply)
            return
        }
        newestGeneration += 1
        var pending = PendingReload(generation: newestGeneration, config: newConfig, listeners: newListeners, reply: reply, waiting: [])
        let before = nextWorkerID
        let started = (0..<newConfig.supervisor.workers).allSatisfy {
            startWorker(slot: $0, generation: newestGeneration, config: newConfig, listeners: newListeners)
        }
        pending.waiting = Set(before..<nextWorkerID).filter { workers[$0] != nil }
        reload = pending
        guard started else {
            failReload("a new worker could not be started")
            return
        }
        reply?.send("starting \(pending.waiting.count) new worker(s), generation \(newestGeneration)")
    }

    /// The sockets `new` asks for: the serving ones where its address is unchanged, new ones
    /// where it changed. The old ones keep serving until the reload succeeds.
    private func listeners(for new: HostConfig) throws -> Listeners {
        guard let current = listeners else { throw ControlSocket.Failure(description: "no sockets are bound") }
        let sameHost = new.server.host == config.server.host
        func bind(_ port: Int, key: String) throws -> ListeningSocket {
            do {
                return try ListeningSocket.bind(host: new.server.host, port: port)
            } catch {
                let reason = (error as? ListenFailure)?.description ?? "\(ListenFailure.explain(error, host: new.server.host, ports: [port]))"
                throw ControlSocket.Failure(description: "[server] \(key) changed, and the new address cannot be bound (the current one stays): \(reason)")
            }
        }
        let main = sameHost && new.server.port == config.server.port ? current.main : try bind(new.server.port, key: sameHost ? "port" : "host")
        var redirect: ListeningSocket?
        if new.server.httpPort != 0 {
            if sameHost, new.server.httpPort == config.server.httpPort, let existing = current.redirect {
                redirect = existing
            } else {
                do {
                    redirect = try bind(new.server.httpPort, key: "http_port")
                } catch {
                    if main.descriptor != current.main.descriptor { main.close() }
                    throw error
                }
            }
        }
        return Listeners(main: main, redirect: redirect)
    }

    /// Closes sockets of addresses no longer served once no worker holds them.
    private func closeRetiredSockets() {
        let inUse = workers.values.map(\.listeners) + [listeners, reload?.listeners].compactMap { $0 }
        let held = Set(inUse.flatMap { [$0.main.descriptor, $0.redirect?.descriptor].compactMap { $0 } })
        retired.removeAll { socket in
            guard !held.contains(socket.descriptor) else { return false }
            socket.close()
            return true
        }
    }

    /// Moves the sockets of `old` that `new` does not use to the retired list.
    private func retire(_ old: Listeners?, keeping new: Listeners?) {
        let kept = Set([new?.main.descriptor, new?.redirect?.descriptor].compactMap { $0 })
        for socket in [old?.main, old?.redirect].compactMap({ $0 }) where !kept.contains(socket.descriptor) {
            retired.append(socket)
        }
    }

    private func commitReload(_ pending: PendingReload) {
        reload = nil
        let moved = pending.listeners.main.descriptor != listeners?.main.descriptor
        retire(listeners, keeping: pending.listeners)
        listeners = pending.listeners
        config = pending.config
        servingGeneration = pending.generation
        policy = CrashPolicy(pending.config.supervisor)
        if moved { announceListening(again: true) }
        var old: Set<Int> = []
        for (id, worker) in workers where worker.process.generation < pending.generation && worker.role != .draining {
            workers[id]?.role = .draining
            worker.process.drain()
            old.insert(id)
            after(config.server.shutdownGrace + 5, .stopTimedOut(worker: id))
        }
        let plugins = workers.values.first { $0.process.generation == pending.generation }?.plugins ?? 0
        let message = "reloaded: generation \(pending.generation) serves \(baseURL) with \(plugins) plugin(s); the previous worker(s) drain and exit"
        logger.notice("\(message)")
        if let reply = pending.reply {
            reloadAnswer = (reply, message, old)
            after(5, .drainNoticeTimedOut)
            answerReloadIfDrained()
        }
    }

    private func answerReloadIfDrained(force: Bool = false) {
        guard let answer = reloadAnswer, answer.waiting.isEmpty || force else { return }
        reloadAnswer = nil
        answer.connection.send("ok: \(answer.message)")
        answer.connection.close()
    }

    private func failReload(_ reason: String, reply: ControlConnection? = nil) {
        let pending = reload
        reload = nil
        if let pending {
            retire(pending.listeners, keeping: listeners)
            closeRetiredSockets()
        }
        for id in pending?.waiting ?? [] {
            if let worker = workers[id] {
                workers[id]?.role = .stopping
                worker.process.drain()
            }
        }
        let message = "reload failed, the running worker(s) keep serving: \(reason)"
        logger.error("\(message)")
        let connection = reply ?? pending?.reply
        connection?.send("error: \(message)")
        connection?.close()
    }

    // MARK: Control

    private func answer(_ command: String, on connection: ControlConnection) {
        switch command {
        case "":
            connection.close()
        case "reload":
            beginReload(reply: connection)
        case "status":
            connection.send(statusJSON())
            connection.close()
        default:
            connection.send("error: unknown command '\(command)'; the supervisor understands reload and status")
            connection.close()
        }
    }

    private struct Status: Encodable {
        struct WorkerStatus: Encodable {
            let pid: Int32
            let generation: Int
            let state: String
            let plugins: Int
        }
        let supervisor: Int32
        let generation: Int
        let workers: [WorkerStatus]
        let quarantined: [QuarantinedPlugin]
    }

    private func statusJSON() -> String {
        let status = Status(
            supervisor: getpid(), generation: servingGeneration,
            workers: workers.values.sorted { $0.process.id < $1.process.id }.map {
                .init(pid: $0.process.pid, generation: $0.process.generation, state: $0.role.rawValue, plugins: $0.plugins)
            },
            quarantined: quarantined
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(status)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: Stop

    private func stop() {
        guard !stopping else { return }
        stopping = true
        logger.notice("stopping: asking \(workers.count) worker(s) to finish their requests")
        if let pending = reload {
            pending.reply?.send("error: the supervisor is shutting down")
            pending.reply?.close()
            reload = nil
        }
        for (id, worker) in workers {
            workers[id]?.role = .stopping
            worker.process.drain()
            after(config.server.shutdownGrace + 5, .stopTimedOut(worker: id))
        }
    }
}
