@testable import PlugHostConfig
@testable import PlugHostSupervisor
import Testing

@Suite struct CrashPolicyTests {
    let plugin = CrashReport.Plugin(file: "libcrashy.so", sha256: "aa", name: "crashy")
    let other = CrashReport.Plugin(file: "libother.so", sha256: "bb", name: "other")

    func policy(limit: Int = 5, window: Double = 60, maxDelay: Double = 30) -> CrashPolicy {
        var settings = SupervisorSettings()
        settings.crashLimit = limit
        settings.crashWindow = window
        settings.maxRestartDelay = maxDelay
        return CrashPolicy(settings)
    }

    @Test func theFifthCrashOfOnePluginWithinTheWindowQuarantinesIt() {
        var policy = policy()
        for second in 0..<4 {
            #expect(policy.record(at: Double(second), culprit: plugin) == .restart)
        }
        #expect(policy.record(at: 4, culprit: plugin) == .quarantine(plugin))
        // Its crashes are forgotten once it is quarantined: another plugin starts from zero.
        #expect(policy.record(at: 5, culprit: other) == .restart)
    }

    @Test func crashesOutsideTheWindowAreForgotten() {
        var policy = policy(window: 10)
        for second in stride(from: 0.0, to: 40, by: 9) {
            #expect(policy.record(at: second, culprit: plugin) == .restart, "at \(second) s")
        }
    }

    @Test func aChangedFileIsAnotherPlugin() {
        var policy = policy(limit: 2)
        #expect(policy.record(at: 0, culprit: plugin) == .restart)
        let rebuilt = CrashReport.Plugin(file: plugin.file, sha256: "cc", name: plugin.name)
        // Two crashes, two files: a crash loop that no single file explains.
        #expect(policy.record(at: 1, culprit: rebuilt) == .restartAfter(seconds: 1))
    }

    @Test func unexplainedCrashLoopsBackOffExponentiallyUpToTheMaximum() {
        var policy = policy(limit: 3, maxDelay: 8)
        #expect(policy.record(at: 0, culprit: nil) == .restart)
        #expect(policy.record(at: 1, culprit: nil) == .restart)
        let delays = (2..<8).map { policy.record(at: Double($0), culprit: nil) }
        #expect(delays == [1, 2, 4, 8, 8, 8].map { .restartAfter(seconds: $0) })
    }

    @Test func mixedCrashesNeverQuarantineAPluginBelowTheLimit() {
        var policy = policy(limit: 3)
        #expect(policy.record(at: 0, culprit: plugin) == .restart)
        #expect(policy.record(at: 1, culprit: other) == .restart)
        #expect(policy.record(at: 2, culprit: plugin) == .restartAfter(seconds: 1))
        #expect(policy.record(at: 3, culprit: plugin) == .quarantine(plugin))
    }
}
