import Foundation
import Testing

/// A worker gives back the memory a burst of load left free in its heaps (#19, item 4). Before,
/// glibc kept it for as long as the worker lived: 46 MB idle, 430 MB after one round of
/// `h2load -c100 -m100 -n200000`, still 430 MB a minute later (docs/PERFORMANCE.md).
@Suite(.serialized)
struct HeapReturnTests {
    /// One wave of 20,000 concurrent HTTP/2 streams (200 connections × 100) makes the worker's
    /// heap grow by well over 64 MB; within a few of the trimmer's 5-second looks its resident
    /// memory must be back within twice what it was idle.
    @Test func residentMemoryComesBackAfterABurstOfHTTP2Streams() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[rate_limit]\nenabled = false\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        let host = try HostProcess(site: site)
        let worker = host.servingWorker()
        Thread.sleep(forTimeInterval: 1)
        let idle = try host.workerMemory().rss

        // A route with a parameter: Hummingbird's request loop, a task per stream, grows the heap
        // the most (a route without one is answered on the event loop and grows it less).
        let load = try run("h2load", ["-c200", "-m100", "-n20000", "\(host.baseURL)/api/hello/burst"])
        // The high-water mark: while the full test run's other suites compete for the cores the
        // load lasts longer, and the trimmer may give memory back before it ends.
        let (afterLoad, peak) = try host.workerMemory()
        #expect(load.output.contains("succeeded"), "h2load: \(load.combined)")
        // Without growth there would be nothing to give back, and the test would prove nothing.
        #expect(peak > idle + 64 << 20, "idle \(idle >> 20) MiB, peak during the load \(peak >> 20) MiB: the load did not grow the heap")

        let deadline = Date().addingTimeInterval(20)
        var resident = afterLoad
        while Date() < deadline, resident > 2 * idle {
            Thread.sleep(forTimeInterval: 0.5)
            resident = try host.workerMemory().rss
        }
        #expect(resident <= 2 * idle, "idle \(idle >> 20) MiB, after the load \(peak >> 20) MiB, 20 s later \(resident >> 20) MiB")
        #expect(host.servingWorker() == worker, "the same worker served throughout")
    }
}
