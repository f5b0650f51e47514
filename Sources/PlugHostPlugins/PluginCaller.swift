import NIOCore
package import NIOPosix

/// The one point every call into a plugin's request code passes — a route handler, a request
/// hook, a response hook: it notes the call in the worker's crash record (so a crash names the
/// plugin and the route), runs it inline or on the blocking pool, and waits for the answer or the
/// handler timeout, after which the client gets 504 whatever the plugin does later. Anything that
/// should happen around every plugin call (timing, tracing) belongs here, not in its callers.
package struct PluginCaller: Sendable {
    let blockingPool: NIOThreadPool
    let timeout: Double

    package init(blockingPool: NIOThreadPool, timeout: Double) {
        self.blockingPool = blockingPool
        self.timeout = timeout
    }

    /// `invoke` calls the plugin's C function with the call handle: inline on this executor when
    /// `nonBlocking`, else on the pool sized for blocking work.
    package func call(_ owner: CallOwner, view: RequestView, nonBlocking: Bool, invoke plugin: @escaping @Sendable (OpaquePointer) -> Void) async -> CallAnswer {
        let invoke: @Sendable (OpaquePointer) -> Void = { handle in
            CrashRecord.running(owner.recordIndex, owner.what) { plugin(handle) }
        }
        let call = PendingCall(owner: owner, view: view)
        let handle = CallTable.shared.add(call)
        // A non-blocking handler usually answers before it returns: then there is nothing to
        // wait for, no timer to set and no suspension to pay for.
        if nonBlocking {
            invoke(handle.pointer)
            if let answer = call.takeEarlyAnswer() {
                CallTable.shared.remove(handle)
                return answer
            }
        }
        let answer = await withCheckedContinuation { continuation in
            call.wait(continuation)
            let seconds = timeout
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                CallTable.shared.expire(handle, after: seconds)
            }
            call.setTimer(timer)
            if !nonBlocking {
                blockingPool.submit { state in
                    guard case .active = state else {
                        CallTable.shared.cancel(handle, answer: PluginAnswer(status: .serviceUnavailable, detail: "The server is shutting down."))
                        return
                    }
                    invoke(handle.pointer)
                }
            }
        }
        if !call.timedOut { CallTable.shared.remove(handle) }
        return answer
    }
}
