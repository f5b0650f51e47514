import NIOCore
package import NIOPosix

/// The one point every call into a plugin's request code passes — a route handler, a request
/// hook, a response hook: it notes the call in the worker's crash record (so a crash names the
/// plugin and the route), runs it inline (``callInline``) or on the blocking pool
/// (``callOnPool``), and waits for the answer or the handler timeout (``answer(_:)``), after
/// which the client gets 504 whatever the plugin does later. Anything that should happen around
/// every plugin call (timing, tracing) belongs here, not in its callers.
package struct PluginCaller: Sendable {
    let blockingPool: NIOThreadPool
    let timeout: Double
    let shares: BlockingShares

    package init(blockingPool: NIOThreadPool, timeout: Double, shares: BlockingShares) {
        self.blockingPool = blockingPool
        self.timeout = timeout
        self.shares = shares
    }

    /// Calls a non-blocking plugin function inline, on this thread. Most answer before they
    /// return: then the answer is here, with no suspension, no timer and no closure to allocate.
    package func callInline(_ owner: CallOwner, view: RequestView, invoke: (OpaquePointer) -> Void) -> CallStart {
        if let refusal = CallTable.shared.shutdownAnswer { return .answered(.respond(refusal)) }
        let outcome = CallTable.shared.runInline(owner: owner, view: view) { handle in
            CrashRecord.running(owner.recordIndex, owner.what) { invoke(handle.pointer) }
        }
        switch outcome {
        case .answered(let answer): return .answered(answer)
        case .waiting(let call, let handle): return .waiting(WaitingCall(call: call, handle: handle, onPool: nil))
        }
    }

    /// Prepares a call of a plugin function that may block: it runs on the blocking pool once
    /// ``answer(_:)`` waits for it.
    package func callOnPool(_ owner: CallOwner, view: RequestView, invoke: @escaping @Sendable (OpaquePointer) -> Void) -> CallStart {
        if let refusal = CallTable.shared.shutdownAnswer { return .answered(.respond(refusal)) }
        let call = PendingCall(owner: owner, view: view)
        let handle = CallTable.shared.add(call)
        return .waiting(WaitingCall(call: call, handle: handle, onPool: { [shares] handle in
            shares.run(owner.plugin) {
                CrashRecord.running(owner.recordIndex, owner.what) { invoke(handle) }
            }
        }))
    }

    /// The call's answer: at once if it came inline, else when the plugin answers or the handler
    /// timeout expires (504), whichever is first.
    package func answer(_ start: CallStart) async -> CallAnswer {
        let waiting: WaitingCall
        switch start {
        case .answered(let answer): return answer
        case .waiting(let call): waiting = call
        }
        let call = waiting.call
        let handle = waiting.handle
        let answer = await withCheckedContinuation { continuation in
            call.wait(continuation)
            let seconds = timeout
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                CallTable.shared.expire(handle, after: seconds)
            }
            call.setTimer(timer)
            if let onPool = waiting.onPool {
                let plugin = call.owner.plugin
                if let share = shares.acquire(plugin) {
                    CallTable.shared.cancel(handle, answer: .busy(plugin: plugin, share: share))
                    return
                }
                call.markWaitingForThread()
                blockingPool.submit { [shares] state in
                    defer { shares.release(plugin) }
                    // Once shutdown_grace has run out no handler starts: the plugin will never
                    // answer this call, so it leaves the table.
                    let shutdownAnswer = CallTable.shared.shutdownAnswer
                    guard case .active = state, shutdownAnswer == nil else {
                        CallTable.shared.cancel(handle, answer: shutdownAnswer ?? PluginAnswer(status: .serviceUnavailable, detail: "The server is shutting down."))
                        return
                    }
                    // Given up (504) while it waited for this thread: the client has its answer,
                    // and the plugin is not called for a request nobody waits for.
                    guard call.startOnThread() else {
                        CallTable.shared.remove(handle)
                        return
                    }
                    onPool(handle.pointer)
                }
            }
        }
        if !call.timedOut { CallTable.shared.remove(handle) }
        return answer
    }
}

/// A plugin call begun: answered already, or waiting for its answer.
package enum CallStart: Sendable {
    case answered(CallAnswer)
    case waiting(WaitingCall)
}

/// A call whose answer has not come yet; for a blocking function, the work still to submit.
package struct WaitingCall: Sendable {
    fileprivate let call: PendingCall
    fileprivate let handle: CallHandle
    fileprivate let onPool: (@Sendable (OpaquePointer) -> Void)?
}
