import Foundation
import PlugHostConfig
import PlugHostSockets
import PlugHostWorkerLink

/// Workers: starting them, what they tell the supervisor, their exits and crashes, and the
/// replacement of a dead one (now, later in a crash loop, or without a quarantined plugin).
extension Supervisor {
    /// Starts a worker; when that fails (no descriptors left, say), a worker of the serving
    /// generation is tried again after ``SupervisorTimeouts/spawnRetry``, and a reload's is not
    /// (the reload fails). Returns the new worker's id.
    @discardableResult
    func startWorker(slot: Int, generation: Int, config: HostConfig, listeners: Listeners? = nil) -> Int? {
        guard let listeners = listeners ?? sockets?.serving else { return nil }
        do {
            let id = try workers.spawn(slot: slot, generation: generation, arguments: workerArguments(), listeners: listeners,
                                       logSink: fileSink, events: continuation)
            after(config.supervisor.startTimeout, .startTimedOut(worker: id))
            return id
        } catch {
            guard generation == servingGeneration else {
                logger.error("\(error)")
                return nil
            }
            logger.error("\(error); trying again in \(Int(SupervisorTimeouts.spawnRetry)) s")
            after(SupervisorTimeouts.spawnRetry, .restart(slot: slot))
            return nil
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

    func startTimedOut(_ id: Int) {
        guard let worker = workers[id], worker.role == .starting else { return }
        workers[id]?.failure = "it did not start listening within \(config.supervisor.startTimeout) s ([supervisor] start_timeout)"
        workers[id]?.timedOut = true
        worker.process.kill()
    }

    func received(_ message: WorkerMessage, from id: Int) {
        guard let worker = workers[id] else { return }
        switch message.event {
        case .crashed:
            crashed(worker, id: id)
        case .draining:
            reload.stoppedAccepting(id)
            replyToReloadIfDrained()
        case .failed:
            workers[id]?.failure = message.error ?? "no reason given"
        case .ready:
            guard worker.role == .starting else { return }
            workers[id]?.role = .serving
            workers[id]?.plugins = message.plugins ?? 0
            logger.info("worker \(worker.process.pid) (generation \(worker.process.generation)) is serving with \(message.plugins ?? 0) plugin(s)")
            if stopping {
                worker.process.drain()
            } else if reload.starting?.generation == worker.process.generation {
                if reload.ready(id, generation: worker.process.generation) == .commit { commitReload() }
            } else if !everReady, workers.noneStarting {
                everReady = true
                announceListening()
            }
        }
    }

    func exited(_ id: Int, _ status: WorkerExit) {
        guard let worker = workers.remove(id) else { return }
        let failsReload = reload.lost(id) == .fail
        defer {
            worker.process.release()
            sockets?.closeRetired(inUse: workers.heldListeners + [pendingReload?.listeners].compactMap { $0 })
        }
        replyToReloadIfDrained()
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
        case .starting where failsReload:
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

    private func crashDescription(_ worker: WorkerPool.Worker, _ status: WorkerExit) -> String {
        guard let signal = status.signal else { return "it \(status)" }
        return "it was \(CrashReport.read(descriptor: worker.process.crashRecord, signal: signal))"
    }

    /// The worker's crash handler reported a fatal signal. The worker may take seconds more to die
    /// (the Swift runtime prints a backtrace first); its replacement starts now.
    private func crashed(_ worker: WorkerPool.Worker, id: Int) {
        guard worker.role == .starting || worker.role == .serving else { return }
        workers[id]?.role = .crashed
        after(SupervisorTimeouts.crashedWorkerExit, .stopTimedOut(worker: id))
        let report = CrashReport.read(descriptor: worker.process.crashRecord, signal: nil)
        if reload.awaits(id) {
            failReload("the new worker \(worker.process.pid) crashed while starting: it was \(report)")
            return
        }
        guard !stopping else { return }
        logger.error("worker \(worker.process.pid) (generation \(worker.process.generation)) crashed: it was \(report)")
        replace(worker, culprit: report.culprit)
    }

    /// A worker died unasked without its crash handler saying so first (an exit, or a signal no
    /// handler sees, such as SIGKILL): say why, then replace it.
    private func restart(after worker: WorkerPool.Worker, _ status: WorkerExit) {
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
    private func replace(_ worker: WorkerPool.Worker, culprit: CrashReport.Plugin?) {
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
}
