package import NIOCore
import Synchronization

/// One handler or hook call waiting for its answer.
package final class PendingCall: Sendable {
    /// Written only at init and by ``reuse(owner:view:)``, when no other reference to the call
    /// exists; every other thread reads them after finding the call through a lock (the table's
    /// or a slot's) taken after that write.
    nonisolated(unsafe) private(set) var owner: CallOwner
    nonisolated(unsafe) private(set) var view: RequestView

    private enum Phase {
        case waiting
        /// Answered before anyone waited: a non-blocking handler answering inline, the usual case.
        case early
        /// The host answered for the plugin before anyone waited (shutdown): the waiter takes
        /// this answer, the plugin's own comes too late.
        case hostAnsweredEarly
        case answered
        case timedOut
    }

    /// Plain fields rather than an enum with payloads: the inline answer (the hot path) only
    /// moves one value in and out, with no generic tuple of continuation and timer to copy.
    private struct State {
        var phase = Phase.waiting
        /// The answer while `phase` is `early` or `hostAnsweredEarly`.
        var answer: CallAnswer?
        /// Set while `phase` is `waiting` and someone waits.
        var continuation: CheckedContinuation<CallAnswer, Never>?
        var timer: Scheduled<Void>?
        /// The plugin answered after the host had (refused as late): nothing waits for the call any more.
        var lateAnswerCame = false
    }

    /// What an answer must wake once the lock is released.
    private struct Wake {
        var continuation: CheckedContinuation<CallAnswer, Never>?
        var timer: Scheduled<Void>?
    }

    enum Delivery { case delivered, alreadyAnswered, timedOut }

    private let state = Mutex(State())
    /// For a call of a blocking function: whether it waits for a pool thread, runs on one, or
    /// was given up (504) while it waited. One atomic, so the thread that would start the call
    /// and the timer that would give it up agree on which came first.
    private let poolState = Atomic<UInt8>(PoolState.inline)

    private enum PoolState {
        static let inline: UInt8 = 0, waitingForThread: UInt8 = 1, running: UInt8 = 2, givenUp: UInt8 = 3
    }

    package init(owner: CallOwner, view: RequestView) {
        self.owner = owner
        self.view = view
    }

    /// Makes this finished call a new one, so a thread's inline calls need no allocation each
    /// (``InlineCallSlot/call(owner:view:)``). Only for a call nothing else references: no table,
    /// slot, waiter or answering thread can see it while it changes.
    func reuse(owner: CallOwner, view: RequestView) {
        self.owner = owner
        self.view = view
        state.withLock { $0 = State() }
        poolState.store(PoolState.inline, ordering: .relaxed)
    }

    /// Sets where the answer goes, and the timer to cancel once it arrives; resumes at once if
    /// the answer came first.
    package func wait(_ continuation: CheckedContinuation<CallAnswer, Never>) {
        let early = state.withLock { state -> CallAnswer? in
            switch state.phase {
            case .early:
                state.phase = .answered
                return state.answer.take()
            case .hostAnsweredEarly:
                state.phase = .timedOut
                return state.answer.take()
            default:
                state.phase = .waiting
                state.continuation = continuation
                state.timer = nil
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    /// The answer, if it came before anyone waited for it. Spares the caller a suspension.
    package func takeEarlyAnswer() -> CallAnswer? {
        state.withLock { state in
            guard state.phase == .early else { return nil }
            state.phase = .answered
            return state.answer.take()
        }
    }

    package func setTimer(_ timer: Scheduled<Void>) {
        let cancelNow = state.withLock { state -> Bool in
            guard state.phase == .waiting, state.timer == nil else { return true }
            state.timer = timer
            return false
        }
        if cancelNow { timer.cancel() }
    }

    func markWaitingForThread() { poolState.store(PoolState.waitingForThread, ordering: .releasing) }

    /// On the pool thread: true when the call may run, false when it was given up while it waited.
    func startOnThread() -> Bool {
        poolState.compareExchange(expected: PoolState.waitingForThread, desired: PoolState.running, ordering: .acquiringAndReleasing).exchanged
    }

    /// At the timeout: true when the call never got a thread (it never will run).
    func giveUpIfWaitingForThread() -> Bool {
        poolState.compareExchange(expected: PoolState.waitingForThread, desired: PoolState.givenUp, ordering: .acquiringAndReleasing).exchanged
    }

    /// Whether the host answered itself (504, or 503 at shutdown); the call then stays in the table until the plugin answers.
    package var timedOut: Bool {
        state.withLock { $0.phase == .timedOut || $0.phase == .hostAnsweredEarly }
    }

    /// Whether the plugin's answer came after the host's (and was refused): the call's last use.
    var lateAnswerCame: Bool { state.withLock { $0.lateAnswerCame } }

    /// The host answers in the plugin's place (`[server] shutdown_grace` ran out), unless the
    /// plugin or the host answered already; the plugin's own answer is then refused as late, and
    /// a call still waiting for a pool thread never runs. Returns whether this answer is the one
    /// the request gets.
    func answerForPlugin(_ answer: CallAnswer) -> Bool {
        let wake = state.withLock { state -> Wake? in
            guard state.phase == .waiting else { return nil }
            let wake = Wake(continuation: state.continuation.take(), timer: state.timer.take())
            if wake.continuation == nil {
                state.phase = .hostAnsweredEarly
                state.answer = answer
            } else {
                state.phase = .timedOut
            }
            return wake
        }
        guard let wake else { return false }
        _ = giveUpIfWaitingForThread()
        wake.timer?.cancel()
        wake.continuation?.resume(returning: answer)
        return true
    }

    /// Delivers the first answer; later ones are refused, saying whether the timeout or another answer came first.
    @discardableResult
    func finish(with answer: CallAnswer, timedOut: Bool = false) -> Delivery {
        var wake = Wake()
        let delivery = state.withLock { state -> Delivery in
            switch state.phase {
            case .waiting where state.continuation == nil && state.timer == nil && !timedOut:
                state.phase = .early
                state.answer = answer
            case .waiting:
                state.phase = timedOut ? .timedOut : .answered
                wake = Wake(continuation: state.continuation.take(), timer: state.timer.take())
            case .early, .answered: return .alreadyAnswered
            case .timedOut, .hostAnsweredEarly:
                state.lateAnswerCame = true
                return .timedOut
            }
            return .delivered
        }
        guard delivery == .delivered else { return delivery }
        if !timedOut { wake.timer?.cancel() }
        wake.continuation?.resume(returning: answer)
        return .delivered
    }
}
