/// A reload's bookkeeping as a value, with no I/O, so that it can be tested alone.
///
/// A reload has two phases. Starting: every worker of the new generation must report ready; one
/// that fails, crashes or exits first fails the reload, and the serving generation stays.
/// Confirming: once committed, the client of `plughost reload` hears "ok" when every old worker
/// has stopped accepting, so that from then on every new connection reaches the new generation.
/// A second reload may start while the first is confirming.
struct ReloadProgress: Equatable {
    struct Starting: Equatable {
        let generation: Int
        var waiting: Set<Int>
    }

    /// The generation being started and the workers it still waits for; nil when none is.
    private(set) var starting: Starting?
    /// The old workers still accepting after a commit; nil when no client waits for "ok".
    private(set) var confirming: Set<Int>?

    enum Step: Equatable {
        /// Nothing to do yet.
        case wait
        /// Every new worker is ready: make the new generation the serving one.
        case commit
        /// A new worker was lost before it was ready: the reload fails.
        case fail
    }

    var isStarting: Bool { starting != nil }

    /// Whether worker `id` is one the starting generation waits for.
    func awaits(_ id: Int) -> Bool { starting?.waiting.contains(id) == true }

    /// A reload starts generation `generation` with `workers`.
    mutating func begin(generation: Int, workers: Set<Int>) {
        starting = Starting(generation: generation, waiting: workers)
    }

    /// Worker `id` of `generation` is ready.
    mutating func ready(_ id: Int, generation: Int) -> Step {
        guard var current = starting, current.generation == generation else { return .wait }
        current.waiting.remove(id)
        starting = current
        return current.waiting.isEmpty ? .commit : .wait
    }

    /// Worker `id` failed, crashed or exited.
    mutating func lost(_ id: Int) -> Step {
        let fails = awaits(id)
        stoppedAccepting(id)
        return fails ? .fail : .wait
    }

    /// The starting generation serves now and `oldWorkers` drain; a waiting client hears "ok" once
    /// none of them accepts any more.
    mutating func committed(oldWorkers: Set<Int>, clientWaits: Bool) {
        starting = nil
        if clientWaits { confirming = oldWorkers }
    }

    /// The reload failed or was abandoned; returns the generation that must now stop, if one was starting.
    mutating func abandon() -> Int? {
        defer { starting = nil }
        return starting?.generation
    }

    /// Worker `id` no longer accepts connections (it drains, or is gone).
    mutating func stoppedAccepting(_ id: Int) {
        confirming?.remove(id)
    }

    /// Whether the client can be told "ok" now (or must be, `force`d by a timeout); clears the wait.
    mutating func takeConfirmation(force: Bool = false) -> Bool {
        guard let waiting = confirming, waiting.isEmpty || force else { return false }
        confirming = nil
        return true
    }
}
