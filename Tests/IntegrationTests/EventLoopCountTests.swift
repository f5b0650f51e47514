import Foundation
import Synchronization
import Testing

/// `[server] event_loops`: the worker (and the single process) serves with the loops it says, by
/// default one per core; NIO's own environment variable wins.
@Suite struct EventLoopCountTests {
    static func site(_ config: String = "") throws -> URL {
        try HostProcess.makeSite(config: config) { plugins in try FixturePlugins.installExample(into: plugins) }
    }

    /// NIO names its shared group's loop threads `NIO-SGLTN-<group>-#<n>`.
    static func eventLoopThreads(of pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").filter { task in
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("NIO-SGLTN-")
        }.count
    }

    /// N from `serving with N event loops (one per core; [server] event_loops)`.
    static func announcedDefault(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("event loops (one per core; [server] event_loops)") }) else { return nil }
        let words = line.split(separator: " ")
        return words.firstIndex(of: "with").flatMap { Int(words[words.index(after: $0)]) }
    }

    @Test func byDefaultAWorkerServesWithOneLoopPerCore() throws {
        let host = try HostProcess(site: try Self.site())
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        #expect(host.waitForOutput("event loops (one per core"), "\(host.output)")
        let loops = try #require(Self.announcedDefault(in: host.output), "\(host.output)")
        // NIO's count honours a cgroup CPU quota, so it may be below the processors the machine has.
        #expect((1...ProcessInfo.processInfo.activeProcessorCount).contains(loops), "\(host.output)")
        let worker = try #require(host.servingWorker(), "a serving worker")
        #expect(try Self.eventLoopThreads(of: worker) == loops)
    }

    @Test func theConfiguredCountIsServedWithAndSaid() throws {
        let site = try Self.site("[server]\nevent_loops = 5\n")
        let supervised = try HostProcess(site: site)
        #expect(try HTTP.get("\(supervised.baseURL)/api/hello").status == 200)
        #expect(supervised.waitForOutput("serving with 5 event loops ([server] event_loops)"), "\(supervised.output)")
        #expect(try Self.eventLoopThreads(of: try #require(supervised.servingWorker())) == 5)

        let single = try HostProcess(site: site, arguments: ["--no-supervisor"])
        #expect(try HTTP.get("\(single.baseURL)/api/hello").status == 200)
        #expect(single.waitForOutput("serving with 5 event loops ([server] event_loops)"), "\(single.output)")
        #expect(try Self.eventLoopThreads(of: single.pid) == 5)
    }

    @Test func oneLoopServesManyConnectionsAtOnce() throws {
        // The smallest count still answers clients concurrently (a loop never blocks on one).
        let host = try HostProcess(site: try Self.site("[server]\nevent_loops = 1\n"), arguments: ["--no-supervisor"])
        #expect(try Self.eventLoopThreads(of: host.pid) == 1)
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let status = (try? HTTP.get("\(host.baseURL)/api/hello").status) ?? 0
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 16))
    }

    @Test func nioEnvironmentVariableWinsAndIsNamed() throws {
        let host = try HostProcess(site: try Self.site("[server]\nevent_loops = 5\n"), environment: ["NIO_SINGLETON_GROUP_LOOP_COUNT": "2"])
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
        #expect(host.waitForOutput("serving with 2 event loops (NIO_SINGLETON_GROUP_LOOP_COUNT=2)"), "\(host.output)")
        #expect(try Self.eventLoopThreads(of: try #require(host.servingWorker())) == 2)
    }
}
