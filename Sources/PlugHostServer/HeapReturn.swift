import FoundationEssentials
import Glibc
import Logging
import NIOCore
import PlugHostProcess
import PlugHostThreads

/// Gives memory a burst of load left free back to the kernel. glibc keeps freed memory in its
/// heaps for reuse and returns little of it on its own: after 200,000 HTTP/2 requests on 10,000
/// concurrent streams a worker held 430 MB, of which 7 MB were in use, for as long as it lived
/// (docs/PERFORMANCE.md, "Memory after load"). Measured with `malloc_trim` by hand, that was
/// retention, not a leak: trimmed, the same worker went back to 53 MB.
///
/// A thread of its own looks every ``interval``: when the process's resident memory is more than
/// ``growth`` above what it was at start and at least that much sits free in the allocator, it trims.
/// Trimming takes the allocator's locks for a few milliseconds, so it is never done on an event
/// loop and never more often than that.
final class HeapReturn: Sendable {
    static let interval = 5.0
    static let growth = 32 << 20

    /// Fewer heaps to keep free memory in: one per core instead of glibc's eight per core. Before
    /// the serving threads start, as an arena once made is kept. An operator who set
    /// `MALLOC_ARENA_MAX` keeps that choice.
    static func limitArenas() {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        ph_heap_limit_arenas(Int32(max(2, System.coreCount)))
    }

    /// Starts the thread; it lives as long as the process. `baseline`: the resident memory at
    /// start, which a trim aims to come back to.
    static func start(logger: Logger) {
        let baseline = residentBytes()
        OSThread.start(name: "plughost-heap") {
            while true {
                OSThread.sleep(seconds: interval)
                let resident = residentBytes()
                // Resident memory above the start that the allocator could give back. Trimming
                // while the load lasts gives back pages it will take again, at most once an
                // interval; the trim that matters is the first one after the load.
                guard resident > baseline + growth, ph_heap_free_bytes() >= growth else { continue }
                ph_heap_trim()
                logger.debug("gave free heap memory back: resident \(resident >> 20) MiB before, \(residentBytes() >> 20) MiB after")
            }
        }
    }

    /// Resident bytes of this process, from /proc/self/statm (its second field, in pages).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .ascii) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
