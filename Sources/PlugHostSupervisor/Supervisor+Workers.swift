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
        if !crashCounts.isEmpty, let json = try? JSONEncoder().encode(crashCounts) {
            arguments += ["--crashes", String(decoding: json, as: UTF8.self)]
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
                SystemdNotify.send("READY=1\nSTATUS=serving")
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
        // Read before deciding anything: an exit status may be a plugin's exit(), not the worker's.
        let report = CrashReport.read(descriptor: worker.process.crashRecord, ended: status)
        switch worker.role {
        case .draining, .stopping:
            if let signal = status.signal, signal != SIGKILL {
                logger.error("worker \(pid) (generation \(worker.process.generation)) crashed while draining: it \(report)")
            } else {
                logger.info("worker \(pid) (generation \(worker.process.generation)) finished draining and \(report.culprit == nil ? "\(status)" : "\(report)")")
            }
        case .crashed:
            logger.info("crashed worker \(pid) \(status)")
        case .starting where failsReload:
            failReload("the new worker \(pid) could not start: \(whyEnded(worker, report))")
        case .starting where !everReady && status.signal == nil && report.culprit == nil && (worker.failure != nil || report.isHostExit):
            // The host cannot start at all (bad plugin in strict mode, unreadable key file, ...):
            // the worker said why, or ended itself; stop rather than restart it forever. An exit
            // the host did not decide on (plugin code's) restarts like a crash instead.
            logger.critical("the worker could not start (\(worker.failure ?? "it \(status)")); stopping")
            exitStatus = status.status.map { $0 == 0 ? 1 : $0 } ?? 1
            stop()
        case .starting, .serving:
            guard !stopping else { return }
            restart(after: worker, status, report)
        }
    }

    /// Why a worker ended, for the log and `plughost reload`: what it said, and what its crash
    /// record adds (always, when that names a plugin).
    private func whyEnded(_ worker: WorkerPool.Worker, _ report: CrashReport) -> String {
        guard let failure = worker.failure else { return "it \(report)" }
        return report.culprit == nil ? failure : "\(failure); it \(report)"
    }

    /// The worker's crash handler reported a fatal signal. The worker may take seconds more to die
    /// (the Swift runtime prints a backtrace first); its replacement starts now.
    private func crashed(_ worker: WorkerPool.Worker, id: Int) {
        guard worker.role == .starting || worker.role == .serving else { return }
        workers[id]?.role = .crashed
        after(SupervisorTimeouts.crashedWorkerExit, .stopTimedOut(worker: id))
        let report = CrashReport.read(descriptor: worker.process.crashRecord, ended: nil)
        if reload.awaits(id) {
            failReload("the new worker \(worker.process.pid) crashed while starting: it \(report)")
            return
        }
        guard !stopping else { return }
        logger.error("worker \(worker.process.pid) (generation \(worker.process.generation)) crashed: it \(report)")
        replace(worker, culprit: report.culprit)
    }

    /// A worker died unasked without its crash handler saying so first: a signal no handler sees
    /// (SIGKILL), or an exit. An exit the host did not decide on is a crash, of the plugin whose
    /// call called exit(), or else of the only plugin call in flight (after an `_exit()`, or an
    /// exit() from a thread a plugin started). Say why, then replace it.
    private func restart(after worker: WorkerPool.Worker, _ status: WorkerExit, _ report: CrashReport) {
        let culprit = report.culprit(killedForHanging: worker.timedOut)
        let who = "worker \(worker.process.pid) (generation \(worker.process.generation))"
        if report.isHostExit {
            logger.error("\(who) \(status)\(worker.failure.map { ": \($0)" } ?? "") without being asked to stop")
        } else {
            logger.error("\(who) crashed: it \(report)\(worker.failure.map { " (\($0))" } ?? "")")
        }
        replace(worker, culprit: culprit)
    }

    /// Starts a worker in `worker`'s place: now, later (a crash loop), or without the plugin that
    /// keeps crashing workers.
    private func replace(_ worker: WorkerPool.Worker, culprit: CrashReport.Plugin?) {
        let pid = worker.process.pid
        crashCounts[culprit.map { $0.name.isEmpty ? $0.file : $0.name } ?? "unknown", default: 0] += 1
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
