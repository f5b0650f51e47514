import Logging
package import NIOCore
import PlugHostABI
import PlugHostObservability
import Synchronization

/// Every handler call that has not been answered yet, by the id its `ph_call_t *` handle encodes.
///
/// The handle is an id, not a pointer, so a second or late `respond()` — a plugin bug — is
/// recognised and refused instead of touching freed memory.
package final class CallTable: Sendable {
    package static let shared = CallTable()

    private let calls = Mutex<[UInt64: PendingCall]>([:])
    private let lastID = Atomic<UInt64>(0)
    private let logger = Logger(label: "plughost.plugins")
    /// Set once `[server] shutdown_grace` ran out (``answerAllAtShutdown(with:)``): the answer
    /// every call still waiting got, and every later call gets without reaching its plugin.
    private let shutdownAnswerIsSet = Atomic<Bool>(false)
    private let shutdownAnswerValue = Mutex<PluginAnswer?>(nil)

    /// Registers `call` and returns its handle for the plugin.
    package func add(_ call: PendingCall) -> CallHandle {
        let id = lastID.wrappingAdd(1, ordering: .relaxed).newValue
        calls.withLock { $0[id] = call }
        return CallHandle(id: id)
    }

    /// `ph_host_api_t.respond`.
    func respond(_ handle: OpaquePointer?, _ response: UnsafePointer<ph_response_t>?) -> ph_status_t {
        guard let call = lookUp(handle) else { return unknownCall(handle) }
        guard call.owner.kind != .responseHook else {
            logger.error("plugin '\(call.owner.plugin)' called respond() in \(call.owner.what); a response hook answers with proceed(). Ignored")
            return PH_ERR_WRONG_PHASE
        }
        // The view stays alive through `call` until this function returns, as the ABI promises.
        let problem = response.map { ABILayout.problem(size: UnsafeRawPointer($0).load(as: UInt32.self), of: .response, declaredMinor: call.owner.abiMinor) }
            ?? "respond() was called with NULL"
        guard let response, problem == nil else {
            call.finish(with: .respond(PluginAnswer(status: .internalServerError, detail: "The plugin sent a malformed answer.")))
            logger.error("plugin '\(call.owner.plugin)' sent a malformed response in \(call.owner.what): \(problem ?? "")")
            return PH_ERR_INVALID_ARGUMENT
        }
        return deliver(.respond(PluginAnswer(copying: ABILayout.read(response, as: ph_response_t()), owner: call.owner, logger: logger)), to: call, handle: handle)
    }

    /// `ph_host_api_t.proceed`.
    func proceed(_ handle: OpaquePointer?, _ edits: UnsafePointer<ph_pair_t>?, _ count: Int) -> ph_status_t {
        guard let call = lookUp(handle) else { return unknownCall(handle) }
        guard call.owner.kind != .route else {
            logger.error("plugin '\(call.owner.plugin)' called proceed() in \(call.owner.what); a route answers with respond(). Ignored")
            return PH_ERR_WRONG_PHASE
        }
        guard count == 0 || edits != nil else {
            call.finish(with: .respond(PluginAnswer(status: .internalServerError, detail: "The plugin sent a malformed answer.")))
            logger.error("plugin '\(call.owner.plugin)' called proceed() with \(count) edits and no array in \(call.owner.what)")
            return PH_ERR_INVALID_ARGUMENT
        }
        let copied = HeaderEdits(copying: UnsafeBufferPointer(start: edits, count: count), owner: call.owner, logger: logger)
        return deliver(.proceed(copied), to: call, handle: handle)
    }

    private func lookUp(_ handle: OpaquePointer?) -> PendingCall? {
        let id = CallHandle(handle).id
        return calls.withLock { $0[id] }
    }

    private func unknownCall(_ handle: OpaquePointer?) -> ph_status_t {
        let id = CallHandle(handle).id
        if id != 0, id <= lastID.load(ordering: .relaxed) {
            HostMetrics.shared.doubleAnswer(plugin: "unknown")
            logger.error("a plugin answered call \(id) a second time; the second answer was ignored")
            return PH_ERR_ALREADY_ANSWERED
        }
        logger.error("a plugin answered with an unknown call handle \(id); ignored")
        return PH_ERR_UNKNOWN_CALL
    }

    private func deliver(_ answer: CallAnswer, to call: PendingCall, handle: OpaquePointer?) -> ph_status_t {
        switch call.finish(with: answer) {
        case .delivered:
            return PH_OK
        case .alreadyAnswered:
            HostMetrics.shared.doubleAnswer(plugin: call.owner.plugin)
            logger.error("plugin '\(call.owner.plugin)' answered \(call.owner.what) a second time; the second answer was ignored")
            return PH_ERR_ALREADY_ANSWERED
        case .timedOut:
            // The late answer was the last thing the request view was kept for.
            remove(CallHandle(handle))
            logger.error("plugin '\(call.owner.plugin)' answered \(call.owner.what) after the host's timeout; the answer was ignored")
            return PH_ERR_TIMED_OUT
        }
    }

    /// Forgets an answered call. Until then a second answer is recognised as such, with its plugin.
    package func remove(_ handle: CallHandle) {
        calls.withLock { _ = $0.removeValue(forKey: handle.id) }
    }

    /// The host answers for the plugin (e.g. the pool is shutting down) and forgets the call.
    package func cancel(_ handle: CallHandle, answer: PluginAnswer) {
        guard let call = calls.withLock({ $0.removeValue(forKey: handle.id) }) else { return }
        call.finish(with: .respond(answer))
    }

    /// `[server] shutdown_grace` ran out: every call still waiting for its plugin is answered with
    /// `answer` (503) and stays in the table, its request view valid, until the plugin answers
    /// after all (refused as late); calls made from now on get `answer` without reaching the
    /// plugin. Returns how many calls were answered.
    package func answerAllAtShutdown(with answer: PluginAnswer) -> Int {
        shutdownAnswerValue.withLock { $0 = answer }
        shutdownAnswerIsSet.store(true, ordering: .releasing)
        let waiting = calls.withLock { Array($0.values) }
        return waiting.reduce(0) { count, call in count + (call.answerForPlugin(.respond(answer)) ? 1 : 0) }
    }

    /// The answer every new call gets once `[server] shutdown_grace` has run out; nil before.
    package var shutdownAnswer: PluginAnswer? {
        guard shutdownAnswerIsSet.load(ordering: .acquiring) else { return nil }
        return shutdownAnswerValue.withLock { $0 }
    }

    /// The handler did not answer in time: the client gets 504; the call stays in the table
    /// (its request view still valid) until the plugin answers after all.
    package func expire(_ handle: CallHandle, after seconds: Double) {
        let id = handle.id
        guard let call = calls.withLock({ $0[id] }) else { return }
        // A call that never got a thread was not slow: the pool was full (of this plugin's calls,
        // up to its share, or of others'). The answer and the log say so.
        let neverRan = call.giveUpIfWaitingForThread()
        let detail = neverRan
            ? "The plugin '\(call.owner.plugin)' was not called: for \(seconds) seconds every thread for blocking plugin calls was busy."
            : "The plugin '\(call.owner.plugin)' did not answer within \(seconds) seconds."
        if call.finish(with: .respond(PluginAnswer(status: .gatewayTimeout, detail: detail)), timedOut: true) == .delivered {
            HostMetrics.shared.handlerTimedOut(plugin: call.owner.plugin)
            if neverRan {
                logger.error("\(call.owner.what) of plugin '\(call.owner.plugin)' waited \(seconds) s for a blocking thread and never ran: every thread ([server] blocking_threads) was busy; sent 504")
            } else {
                logger.error("plugin '\(call.owner.plugin)' did not answer \(call.owner.what) within \(seconds) s; sent 504. Its request stays allocated until it answers.")
            }
        }
    }
}

/// A call's identity as the plugin sees it: a `ph_call_t *` whose bits are the id, never dereferenced.
package struct CallHandle: Sendable {
    let id: UInt64

    init(id: UInt64) { self.id = id }

    init(_ pointer: OpaquePointer?) {
        id = UInt64(UInt(bitPattern: pointer.map { UnsafeRawPointer($0) }))
    }

    /// Ids start at 1, so the pointer is never NULL.
    package var pointer: OpaquePointer { OpaquePointer(bitPattern: UInt(id))! }
}

/// Who a call belongs to, for the answer check and the log.
package struct CallOwner: Sendable {
    package enum Kind: Sendable { case route, requestHook, responseHook }
    package let plugin: String
    /// The plugin's entry in the worker's crash record.
    package let recordIndex: Int32
    package let kind: Kind
    /// The middleware's name, for a hook call.
    package var middleware: String?
    /// `GET /api/items/{id}`, or `middleware 'request-id' (request hook) on GET /api/items/{id}`.
    package let what: String
    /// The ABI minor the plugin declared: how large its `ph_response_t` must be.
    package let abiMinor: Int

    package init(plugin: String, recordIndex: Int32, abiMinor: Int, kind: Kind, middleware: String? = nil, what: String) {
        self.plugin = plugin
        self.recordIndex = recordIndex
        self.abiMinor = abiMinor
        self.kind = kind
        self.middleware = middleware
        self.what = what
    }
}

/// What a plugin answered: a response, or (from a middleware hook) "go on, with these header edits".
package enum CallAnswer: Sendable {
    case respond(PluginAnswer)
    case proceed(HeaderEdits)
}

/// One handler or hook call waiting for its answer.
package final class PendingCall: Sendable {
    let owner: CallOwner
    let view: RequestView

    private enum State {
        case waiting(CheckedContinuation<CallAnswer, Never>?, Scheduled<Void>?)
        /// Answered before anyone waited: a non-blocking handler answering inline, the usual case.
        case early(CallAnswer)
        /// The host answered for the plugin before anyone waited (shutdown): the waiter takes
        /// this answer, the plugin's own comes too late.
        case hostAnsweredEarly(CallAnswer)
        case answered
        case timedOut
    }

    enum Delivery { case delivered, alreadyAnswered, timedOut }

    private let state = Mutex(State.waiting(nil, nil))
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

    /// Sets where the answer goes, and the timer to cancel once it arrives; resumes at once if
    /// the answer came first.
    package func wait(_ continuation: CheckedContinuation<CallAnswer, Never>) {
        let early = state.withLock { state -> CallAnswer? in
            switch state {
            case .early(let answer):
                state = .answered
                return answer
            case .hostAnsweredEarly(let answer):
                state = .timedOut
                return answer
            default:
                state = .waiting(continuation, nil)
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    /// The answer, if it came before anyone waited for it. Spares the caller a suspension.
    package func takeEarlyAnswer() -> CallAnswer? {
        state.withLock { state in
            guard case .early(let answer) = state else { return nil }
            state = .answered
            return answer
        }
    }

    package func setTimer(_ timer: Scheduled<Void>) {
        let cancelNow = state.withLock { state -> Bool in
            guard case .waiting(let continuation, nil) = state else { return true }
            state = .waiting(continuation, timer)
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
        state.withLock {
            switch $0 {
            case .timedOut, .hostAnsweredEarly: true
            default: false
            }
        }
    }

    /// The host answers in the plugin's place (`[server] shutdown_grace` ran out), unless the
    /// plugin or the host answered already; the plugin's own answer is then refused as late, and
    /// a call still waiting for a pool thread never runs. Returns whether this answer is the one
    /// the request gets.
    func answerForPlugin(_ answer: CallAnswer) -> Bool {
        let outcome = state.withLock { state -> (CheckedContinuation<CallAnswer, Never>?, Scheduled<Void>?)? in
            guard case .waiting(let continuation, let timer) = state else { return nil }
            state = continuation == nil ? .hostAnsweredEarly(answer) : .timedOut
            return (continuation, timer)
        }
        guard let (continuation, timer) = outcome else { return false }
        _ = giveUpIfWaitingForThread()
        timer?.cancel()
        continuation?.resume(returning: answer)
        return true
    }

    /// Delivers the first answer; later ones are refused, saying whether the timeout or another answer came first.
    @discardableResult
    func finish(with answer: CallAnswer, timedOut: Bool = false) -> Delivery {
        let outcome = state.withLock { state -> Result<(CheckedContinuation<CallAnswer, Never>?, Scheduled<Void>?), DeliveryRefusal> in
            switch state {
            case .waiting(nil, nil) where !timedOut:
                state = .early(answer)
                return .success((nil, nil))
            case .waiting(let continuation, let timer):
                state = timedOut ? .timedOut : .answered
                return .success((continuation, timer))
            case .early, .answered: return .failure(DeliveryRefusal(delivery: .alreadyAnswered))
            case .timedOut, .hostAnsweredEarly: return .failure(DeliveryRefusal(delivery: .timedOut))
            }
        }
        switch outcome {
        case .failure(let refusal):
            return refusal.delivery
        case .success(let (continuation, timer)):
            if !timedOut { timer?.cancel() }
            continuation?.resume(returning: answer)
            return .delivered
        }
    }

    private struct DeliveryRefusal: Error { let delivery: Delivery }
}
