import Glibc
import PlugHostProcess

/// A thread of the operating system's own, for work that blocks (a log writer waiting for lines,
/// a read that returns only when the supervisor is gone) and must not hold a thread of Swift's
/// cooperative pool or of an event loop. Foundation's `Thread` does this too, but a worker links
/// FoundationEssentials only, which has no threads (docs/PERFORMANCE.md, worker memory).
public enum OSThread {
    /// Runs `body` on a new detached thread named `name` (its first 15 bytes: the kernel's limit;
    /// `ps -T` and `perf` show it). A thread that cannot be made is a broken process (no memory,
    /// or the thread limit reached): there is no way on without it.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            ph_thread_set_name(body.name)
            body.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            fatalError("cannot start a thread: \(String(cString: strerror(result)))")
        }
        pthread_detach(thread)
    }

    /// Blocks the calling thread for `seconds`, resumed after a signal for the time that remains.
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        let whole = seconds.rounded(.down)
        var remaining = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1_000_000_000))
        var left = timespec()
        while nanosleep(&remaining, &left) != 0, errno == EINTR { remaining = left }
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
