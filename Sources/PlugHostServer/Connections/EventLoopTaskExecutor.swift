import NIOCore

/// Runs a connection's task on the connection's own event loop. Without it every request hops
/// from the event loop that read it to the global concurrent executor and back to the event loop
/// that writes the answer: two cross-thread wake-ups per request, which on two cores cost more
/// than most of the host's own work. The handlers that may block (plugins not marked
/// non-blocking) run on the blocking pool anyway, so nothing blocks the loop.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Immutable; EventLoop is Sendable.
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
