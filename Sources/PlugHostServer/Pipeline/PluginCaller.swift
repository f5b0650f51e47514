import NIOCore
import NIOPosix
import PlugHostPlugins

/// Calls into a plugin — a route handler or a middleware hook — and waits for its answer, or for
/// the handler timeout, after which the client gets 504 whatever the plugin does later.
struct PluginCaller: Sendable {
    let blockingPool: NIOThreadPool
    let timeout: Double

    /// `invoke` calls the plugin's C function with the call handle: inline on this executor when
    /// `nonBlocking`, else on the pool sized for blocking work.
    func call(_ owner: CallOwner, view: RequestView, nonBlocking: Bool, invoke: @escaping @Sendable (OpaquePointer) -> Void) async -> CallAnswer {
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
