import Logging
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

    /// Runs an inline call: `body` calls the plugin's function with the call's handle. While it
    /// runs the call waits in this thread's slot (``InlineCallSlot``), not in the table, so an
    /// answer given before the function returns (the usual case) takes no shared lock; a call
    /// still unanswered when it returns moves to the table, where later answers, the timeout and
    /// shutdown find it.
    func runInline(owner: CallOwner, view: RequestView, _ body: (CallHandle) -> Void) -> InlineOutcome {
        let handle = CallHandle(id: lastID.wrappingAdd(1, ordering: .relaxed).newValue)
        let slot = InlineCallSlot.mine
        let call = slot.call(owner: owner, view: view)
        guard slot.enter(handle.id, call) else {
            let call = PendingCall(owner: owner, view: view)
            calls.withLock { $0[handle.id] = call }
            body(handle)
            guard let answer = call.takeEarlyAnswer() else { return .waiting(call, handle) }
            remove(handle)
            return .answered(answer)
        }
        body(handle)
        if let answer = call.takeEarlyAnswer() {
            slot.leave()
            return .answered(answer)
        }
        // Into the table before out of the slot: an answer from another thread meanwhile finds
        // the call in one or the other (``lookUp(_:)``).
        calls.withLock { $0[handle.id] = call }
        slot.leave()
        // Shutdown answered it while it ran, and the plugin's own answer came (too late) while it
        // was in the slot: that answer took it out of a table it was not in yet.
        if call.lateAnswerCame { remove(handle) }
        return .waiting(call, handle)
    }

    enum InlineOutcome {
        case answered(CallAnswer)
        /// Not answered yet; the call is in the table.
        case waiting(PendingCall, CallHandle)
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

    /// `ph_host_api_t.proceed`, and with `settingResponse` `ph_host_api_t.proceed_setting_response`
    /// (ABI 1.5), which only a request hook may call.
    func proceed(_ handle: OpaquePointer?, _ edits: UnsafePointer<ph_pair_t>?, _ count: Int,
                 settingResponse: (edits: UnsafePointer<ph_pair_t>?, count: Int)? = nil) -> ph_status_t {
        guard let call = lookUp(handle) else { return unknownCall(handle) }
        let function = settingResponse == nil ? "proceed()" : "proceed_setting_response()"
        guard call.owner.kind == .requestHook || (call.owner.kind == .responseHook && settingResponse == nil) else {
            let why = call.owner.kind == .route ? "a route answers with respond()" : "a response hook answers with proceed()"
            logger.error("plugin '\(call.owner.plugin)' called \(function) in \(call.owner.what); \(why). Ignored")
            return PH_ERR_WRONG_PHASE
        }
        guard count == 0 || edits != nil, settingResponse.map({ $0.count == 0 || $0.edits != nil }) ?? true else {
            call.finish(with: .respond(PluginAnswer(status: .internalServerError, detail: "The plugin sent a malformed answer.")))
            let counts = settingResponse.map { "\(count) edits and \($0.count) response edits" } ?? "\(count) edits"
            logger.error("plugin '\(call.owner.plugin)' called \(function) with \(counts) and a NULL array in \(call.owner.what)")
            return PH_ERR_INVALID_ARGUMENT
        }
        let copied = HeaderEdits(copying: UnsafeBufferPointer(start: edits, count: count), owner: call.owner, logger: logger)
        let response = settingResponse.map { HeaderEdits(copying: UnsafeBufferPointer(start: $0.edits, count: $0.count), owner: call.owner, logger: logger) }
        return deliver(.proceed(copied, response: response), to: call, handle: handle)
    }

    /// The call `handle` names: first the inline call of this thread (the usual answer), then the
    /// table, then the inline calls of other threads, then the table again. A call only ever moves
    /// from its slot into the table, entering the table before it leaves the slot, so whenever it
    /// is unanswered it is in one of the places looked at after the first table miss.
    private func lookUp(_ handle: OpaquePointer?) -> PendingCall? {
        let id = CallHandle(handle).id
        if let call = InlineCallSlot.mineIfAny?.call(id) { return call }
        if let call = calls.withLock({ $0[id] }) { return call }
        return InlineCallSlot.find(id) ?? calls.withLock { $0[id] }
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
        // An inline call still running is answered too (its plugin's answer then comes too late).
        let waiting = calls.withLock { Array($0.values) } + InlineCallSlot.running()
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

/// Who a call belongs to, for the answer check and the log. Made once per route (and middleware)
/// and passed along every call: a class, so that passing it retains one object, not four strings.
package final class CallOwner: Sendable {
    package enum Kind: Sendable { case route, requestHook, responseHook }
    package let plugin: String
    /// The plugin's entry in the worker's crash record.
    package let recordIndex: Int32
    package let kind: Kind
    /// The middleware's name, for a hook call.
    package let middleware: String?
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
    /// The hook's edits and, from a request hook's `proceed_setting_response()`, the edits of the
    /// request's answer.
    case proceed(HeaderEdits, response: HeaderEdits?)
}
