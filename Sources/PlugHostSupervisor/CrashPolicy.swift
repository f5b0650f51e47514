import PlugHostConfig

/// What the supervisor does after a worker crash: restart at once; restart later, in a crash loop
/// no single plugin explains; or quarantine the plugin that keeps crashing workers and restart
/// without it.
struct CrashPolicy {
    enum Decision: Equatable {
        case restart
        case restartAfter(seconds: Double)
        case quarantine(CrashReport.Plugin)
    }

    let limit: Int
    let window: Double
    let maxDelay: Double
    private var crashes: [(time: Double, culprit: PluginKey?)] = []
    /// Delayed restarts in the current loop; the delay doubles with each.
    private var loopRestarts = 0

    /// A plugin as quarantine knows it: its file and content (a changed file is a new plugin).
    struct PluginKey: Hashable {
        let file: String
        let sha256: String
    }

    init(_ settings: SupervisorSettings) {
        limit = settings.crashLimit
        window = settings.crashWindow
        maxDelay = settings.maxRestartDelay
    }

    /// Notes a crash at `time` (seconds, any monotonic origin) blamed on `culprit`, if any.
    mutating func record(at time: Double, culprit: CrashReport.Plugin?) -> Decision {
        crashes.removeAll { time - $0.time > window }
        let key = culprit.map { PluginKey(file: $0.file, sha256: $0.sha256) }
        crashes.append((time, key))
        if let culprit, let key, crashes.count(where: { $0.culprit == key }) >= limit {
            crashes.removeAll { $0.culprit == key }
            return .quarantine(culprit)
        }
        guard crashes.count >= limit else {
            loopRestarts = 0
            return .restart
        }
        loopRestarts += 1
        return .restartAfter(seconds: min(maxDelay, Double(1 << min(loopRestarts - 1, 16))))
    }
}
