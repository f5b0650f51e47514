@testable import PlugHostSupervisor
import Testing

@Suite struct ReloadProgressTests {
    @Test func commitsOnlyWhenEveryNewWorkerIsReady() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5, 6])
        let step1 = reload.ready(5, generation: 2)
        #expect(step1 == .wait)
        #expect(reload.awaits(6))
        let step2 = reload.ready(6, generation: 2)
        #expect(step2 == .commit)
    }

    @Test func aWorkerOfAnotherGenerationDoesNotCount() {
        var reload = ReloadProgress()
        reload.begin(generation: 3, workers: [7])
        // A replacement of a crashed worker of the serving generation becomes ready meanwhile.
        let step3 = reload.ready(4, generation: 2)
        #expect(step3 == .wait)
        #expect(reload.awaits(7))
    }

    @Test func losingANewWorkerBeforeItIsReadyFailsTheReload() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5, 6])
        let step4 = reload.ready(5, generation: 2)
        #expect(step4 == .wait)
        let step5 = reload.lost(5)
        #expect(step5 == .wait, "a worker that was ready already is no longer awaited")
        let step6 = reload.lost(6)
        #expect(step6 == .fail)
        let step7 = reload.abandon()
        #expect(step7 == 2)
        #expect(!reload.isStarting)
        let step8 = reload.abandon()
        #expect(step8 == nil)
    }

    @Test func losingAnOldWorkerNeverFailsTheReload() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5])
        let step9 = reload.lost(1)
        #expect(step9 == .wait)
        #expect(reload.isStarting)
    }

    @Test func theClientHearsOkOnceNoOldWorkerAccepts() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5])
        let step10 = reload.ready(5, generation: 2)
        #expect(step10 == .commit)
        reload.committed(oldWorkers: [1, 2], clientWaits: true)
        #expect(!reload.isStarting)
        let step11 = reload.takeConfirmation()
        #expect(!step11)
        reload.stoppedAccepting(1)
        let step12 = reload.takeConfirmation()
        #expect(!step12)
        let step13 = reload.lost(2)
        #expect(step13 == .wait, "an old worker that exits has stopped accepting too")
        let step14 = reload.takeConfirmation()
        #expect(step14)
        let step15 = reload.takeConfirmation()
        #expect(!step15, "the client is told once")
    }

    @Test func theReplyTimeoutForcesTheOk() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5])
        _ = reload.ready(5, generation: 2)
        reload.committed(oldWorkers: [1], clientWaits: true)
        let step16 = reload.takeConfirmation(force: true)
        #expect(step16)
    }

    @Test func aSIGHUPReloadHasNoClientToTell() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5])
        _ = reload.ready(5, generation: 2)
        reload.committed(oldWorkers: [1], clientWaits: false)
        let step17 = reload.takeConfirmation(force: true)
        #expect(!step17)
    }

    @Test func aSecondReloadMayStartWhileTheFirstIsConfirming() {
        var reload = ReloadProgress()
        reload.begin(generation: 2, workers: [5])
        _ = reload.ready(5, generation: 2)
        reload.committed(oldWorkers: [1], clientWaits: true)
        reload.begin(generation: 3, workers: [6])
        #expect(reload.isStarting)
        reload.stoppedAccepting(1)
        let step18 = reload.takeConfirmation()
        #expect(step18)
        let step19 = reload.ready(6, generation: 3)
        #expect(step19 == .commit)
    }

    @Test func controlCommandsAreParsedAndUnknownOnesRefusedByName() {
        #expect(ControlCommand(line: "reload") == .reload)
        #expect(ControlCommand(line: "status") == .status)
        #expect(ControlCommand(line: "") == .none)
        #expect(ControlCommand(line: "Reload") == .unknown("Reload"))
        #expect(ControlCommand.refusal(of: "stop").contains("'stop'"))
    }
}
