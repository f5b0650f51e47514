import PlugHostConfig
import PlugHostSockets
import PlugHostTLS

/// What a starting reload will serve, and who asked for it.
struct PendingReload {
    let generation: Int
    let config: HostConfig
    let listeners: Listeners
    /// `plughost reload`'s connection; nil for SIGHUP.
    let reply: ControlConnection?
}

/// Reloads: a new generation of workers starts beside the serving one with the re-read host.toml
/// (and new sockets if the address changed); once all of it is ready it serves and the old one
/// drains. Any failure before that leaves the serving generation as it was.
extension Supervisor {
    func beginReload(reply: ControlConnection?) {
        guard !stopping else {
            reply?.send("error: the supervisor is shutting down")
            reply?.close()
            return
        }
        guard !reload.isStarting else {
            reply?.send("error: a reload is already in progress; try again when it has finished")
            reply?.close()
            return
        }
        logger.notice("reload requested: checking host.toml and starting new worker(s)")
        // READY=1 follows when the reload commits or fails: the unit is "reloading" meanwhile.
        SystemdNotify.send("RELOADING=1\nSTATUS=reloading")
        reply?.send("checking host.toml")
        let newConfig: HostConfig
        let newListeners: Listeners
        do {
            guard let sockets else { throw ControlSocket.Failure(description: "no sockets are bound") }
            newConfig = try launch.loadConfig()
            if newConfig.tls.enabled { _ = try TLSSetup.configuration(newConfig.tls, config: newConfig, logger: logger) }
            newListeners = try sockets.listeners(for: newConfig, current: config)
        } catch {
            failReload("\(error)", reply: reply)
            return
        }
        newestGeneration += 1
        pendingReload = PendingReload(generation: newestGeneration, config: newConfig, listeners: newListeners, reply: reply)
        var started: Set<Int> = []
        for slot in 0..<newConfig.supervisor.workers {
            guard let id = startWorker(slot: slot, generation: newestGeneration, config: newConfig, listeners: newListeners) else {
                reload.begin(generation: newestGeneration, workers: started)
                failReload("a new worker could not be started")
                return
            }
            started.insert(id)
        }
        reload.begin(generation: newestGeneration, workers: started)
        reply?.send("starting \(started.count) new worker(s), generation \(newestGeneration)")
    }

    /// Every new worker is ready: the new generation serves, the old one drains.
    func commitReload() {
        guard let pending = pendingReload else { return }
        pendingReload = nil
        let moved = pending.listeners.main.descriptor != sockets?.serving.main.descriptor
        sockets?.serve(pending.listeners)
        config = pending.config
        servingGeneration = pending.generation
        policy = CrashPolicy(pending.config.supervisor)
        if moved { announceListening(again: true) }
        let old = workers.ids { $0.process.generation < pending.generation && $0.role != .draining }
        for id in old {
            workers.drain(id, as: .draining)
            after(config.server.shutdownGrace + SupervisorTimeouts.drainMargin, .stopTimedOut(worker: id))
        }
        reload.committed(oldWorkers: old, clientWaits: pending.reply != nil)
        let plugins = workers.summary(ofGeneration: pending.generation).plugins
        SystemdNotify.send("READY=1\nSTATUS=serving")
        let message = "reloaded: generation \(pending.generation) serves \(listening.baseURL(host: config.server.host)) with \(plugins) plugin(s); the previous worker(s) drain and exit"
        logger.notice("\(message)")
        if let reply = pending.reply {
            reloadReply = (reply, message)
            after(SupervisorTimeouts.reloadReply, .reloadReplyTimedOut)
            replyToReloadIfDrained()
        }
    }

    /// Tells `plughost reload` "ok" once no old worker accepts any more (or when `force`d).
    func replyToReloadIfDrained(force: Bool = false) {
        guard let reply = reloadReply, reload.takeConfirmation(force: force) else { return }
        reloadReply = nil
        reply.connection.send("ok: \(reply.message)")
        reply.connection.close()
    }

    /// The reload cannot complete: its new workers stop, its new sockets close, the serving
    /// generation carries on, and the client hears why.
    func failReload(_ reason: String, reply: ControlConnection? = nil) {
        let pending = pendingReload
        pendingReload = nil
        if let generation = reload.abandon() {
            // Every worker of the abandoned generation, ready or not: none of them may keep serving.
            for id in workers.ids(where: { $0.process.generation == generation && $0.role != .crashed }) {
                workers.drain(id, as: .stopping)
            }
        }
        if let pending {
            sockets?.abandon(pending.listeners)
            sockets?.closeRetired(inUse: workers.heldListeners)
        }
        SystemdNotify.send("READY=1\nSTATUS=serving (the last reload failed)")
        let message = "reload failed, the running worker(s) keep serving: \(reason)"
        logger.error("\(message)")
        let connection = reply ?? pending?.reply
        connection?.send("error: \(message)")
        connection?.close()
    }
}
