import Foundation
import PlugHostProcess

/// glibc's allocator set up for a long-running server process that serves (a worker, or the one
/// process without a supervisor).
///
/// Measured (docs/PERFORMANCE.md, "Memory after load"): four rounds of
/// `h2load -c100 -m100 -n200000` took a worker from about 44 MB to over a gigabyte of RSS that it
/// never gave back, although heaptrack found the heap itself small and nothing leaked. That is
/// glibc's behaviour with many threads: each thread that meets contention gets an arena of its
/// own (up to 8 per core), and memory freed inside an arena is kept for reuse, not returned to the
/// system, unless it happens to sit at the arena's top. Two changes bound it:
///
/// - **At most ``arenaLimit`` arenas** (`mallopt(M_ARENA_MAX)`): fewer heaps to keep freed memory in.
/// - **`malloc_trim(0)` every ``trimInterval``**, from a thread of its own: returns the free pages
///   of every arena, not only the top of the main one, so a worker's RSS comes back after a burst.
///
/// An operator who sets `MALLOC_ARENA_MAX` in the environment keeps glibc's own handling (and
/// that value): this is for the default, not against an explicit choice.
enum AllocatorTuning {
    static let arenaLimit: Int32 = 2
    static let trimInterval = 10.0

    static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = ph_malloc_limit_arenas(arenaLimit)
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: trimInterval)
                _ = ph_malloc_trim()
            }
        }
        thread.name = "malloc-trim"
        thread.start()
    }
}
