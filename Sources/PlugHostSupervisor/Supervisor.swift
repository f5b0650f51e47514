import Foundation
public import Logging
public import PlugHostConfig
public import PlugHostObservability
import PlugHostSockets
import PlugHostTLS
import UnixSignals

/// The master process (docs/OPERATIONS.md): binds the listening sockets, runs the host in worker
/// processes that inherit them, replaces a worker that dies, quarantines a plugin that keeps
/// crashing workers, and reloads configuration and plugins into new workers without dropping a
/// connection. It loads no plugin and runs no plugin code, so no plugin can take it down: this
/// target cannot even import the plugin loader (Package.swift).
///
/// This file is the dispatcher: it routes each event to the piece that handles it. Workers and
/// crashes: Supervisor+Workers.swift; reloads: Supervisor+Reload.swift (its bookkeeping is the
/// value ``ReloadProgress``); the control socket: Supervisor+Control.swift; sockets: ``ListenerSet``.
///
/// Not thread-safe: ``run()`` owns it, and every event reaches it through one stream, in order.
public final class Supervisor {
    let launch: LaunchOptions
    /// The serving generation's configuration.
    var config: HostConfig
    let logger: Logger
    let fileSink: (any LogSink)?
    var sockets: ListenerSet?
    let events: AsyncStream<SupervisorEvent>
    let continuation: AsyncStream<SupervisorEvent>.Continuation
    var workers = WorkerPool()
    /// The generation that serves: replacements of crashed workers join it.
    var servingGeneration = 1
    /// The newest generation started, serving or still starting in a reload.
    var newestGeneration = 1
    /// Whether the first generation has ever been ready (announced as listening).
    var everReady = false
    var reload = ReloadProgress()
    /// What a starting reload will serve, and who asked for it.
    var pendingReload: PendingReload?
    /// The client of a committed reload, told "ok" once no old worker accepts any more.
    var reloadReply: (connection: ControlConnection, message: String)?
    var policy: CrashPolicy
    var quarantined: [QuarantinedPlugin] = []
    /// Worker crashes so far by the plugin they are attributed to, handed to every new worker for
    /// its `plughost_plugin_crashes_total`.
    var crashCounts: [String: Int] = [:]
    var stopping = false
    var exitStatus: Int32 = 0
    let clock = ContinuousClock()
    let origin = ContinuousClock.now

    public init(launch: LaunchOptions, config: HostConfig, logger: Logger, fileSink: (any LogSink)?) {
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
        sockets = try ListenerSet(binding: config)
        defer { sockets?.closeAll() }
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
        control?.serve { line, connection in continuation.yield(.control(ControlCommand(line: line), connection)) }
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

    /// Routes one event; each handler lives with the piece it belongs to.
    private func handle(_ event: SupervisorEvent) {
        switch event {
        case .signal(.sighup):
            beginReload(reply: nil)
        case .signal:
            if stopping {
                // Asked twice (Ctrl-C again): do not wait for the requests.
                logger.warning("stopping now: killing \(workers.count) worker(s)")
                workers.killAll()
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
            startTimedOut(id)
        case .reloadReplyTimedOut:
            replyToReloadIfDrained(force: true)
        case .stopTimedOut(let id):
            if let worker = workers[id] {
                logger.warning("worker \(worker.process.pid) did not exit in time (\(worker.role.rawValue)); killing it")
                worker.process.kill()
            }
        }
    }

    /// Delivers `event` to the loop after `seconds`.
    func after(_ seconds: Double, _ event: SupervisorEvent) {
        let continuation = continuation
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            continuation.yield(event)
        }
    }

    /// Where the serving generation listens.
    var listening: Listening {
        Listening(scheme: config.tls.enabled ? "https" : "http", port: sockets?.serving.main.port ?? 0,
                  redirectPort: sockets?.serving.redirect?.port)
    }

    func announceListening(again: Bool = false) {
        let serving = workers.summary(ofGeneration: servingGeneration)
        listening.announce(host: config.server.host, plugins: serving.plugins, logger: logger, again: again,
                           detail: "supervisor pid \(getpid()), \(serving.workers) worker(s)")
    }

    /// Asks every worker to finish its requests, then exit; the loop ends when the last has.
    func stop() {
        guard !stopping else { return }
        stopping = true
        SystemdNotify.send("STOPPING=1\nSTATUS=stopping")
        logger.notice("stopping: asking \(workers.count) worker(s) to finish their requests")
        if let pending = pendingReload {
            pending.reply?.send("error: the supervisor is shutting down")
            pending.reply?.close()
            pendingReload = nil
            _ = reload.abandon()
        }
        for id in workers.ids {
            workers.drain(id, as: .stopping)
            after(config.server.shutdownGrace + SupervisorTimeouts.drainMargin, .stopTimedOut(worker: id))
        }
    }
}
