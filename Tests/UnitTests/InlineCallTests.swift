import Foundation
import PlugHostABI
import Synchronization
@testable import PlugHostPlugins
import Testing

/// Inline calls wait in their thread's slot (and reuse the thread's last call object) instead of
/// the shared call table: every answer must still reach its own call, and every second or late
/// answer must still be refused, whichever thread gives it and whenever.
@Suite struct InlineCallTests {
    let table = CallTable.shared

    func owner() -> CallOwner {
        CallOwner(plugin: "inline-test", recordIndex: -1, abiMinor: Int(PH_ABI_MINOR), kind: .route, what: "GET /api/inline-test")
    }

    func view() -> RequestView {
        RequestView.make(RequestView.Fields(method: "GET", path: "/api/inline-test", route: "/inline-test", query: "", parameters: [],
                                            headers: [:], clientAddress: "", keyName: ""),
                         body: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// `respond(handle, status)` as a plugin calls it.
    func respond(_ handle: CallHandle, _ status: UInt16) -> ph_status_t {
        var response = ph_response_t(struct_size: UInt32(MemoryLayout<ph_response_t>.size), status: status, headers: nil, header_count: 0,
                                     body: ph_str_t(data: nil, len: 0))
        return table.respond(handle.pointer, &response)
    }

    /// Runs one inline call whose function is `body`.
    func run(_ body: (CallHandle) -> Void) -> CallTable.InlineOutcome {
        table.runInline(owner: owner(), view: view(), body)
    }

    /// Runs `body` on a new thread and waits for it, as a plugin's own thread would answer.
    func onAnotherThread(_ body: @escaping @Sendable () -> ph_status_t) -> ph_status_t? {
        let result = Mutex<ph_status_t?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.withLock { $0 = body() }
            done.signal()
        }.start()
        done.wait()
        return result.withLock { $0 }
    }

    func status(_ outcome: CallTable.InlineOutcome) -> Int? {
        guard case .answered(.respond(let answer)) = outcome else { return nil }
        return answer.status.code
    }

    /// The same thread makes two calls (the second reuses the first's object): a second answer to
    /// the first handle, given during the second call, is refused and does not answer the second.
    @Test func aLateAnswerNeverReachesTheNextCallOfTheThread() {
        var first: CallHandle?
        let one = run { handle in
            first = handle
            #expect(respond(handle, 201) == PH_OK)
        }
        #expect(status(one) == 201)
        let two = run { handle in
            #expect(respond(first!, 299) == PH_ERR_ALREADY_ANSWERED)
            #expect(respond(handle, 202) == PH_OK)
            #expect(respond(handle, 203) == PH_ERR_ALREADY_ANSWERED)
        }
        #expect(status(two) == 202)
    }

    /// Another thread answers while the function still runs: the call is only in this thread's slot.
    @Test func anAnswerFromAnotherThreadDuringTheCallIsDelivered() {
        let outcome = run { handle in
            #expect(onAnotherThread { respond(handle, 204) } == PH_OK)
        }
        #expect(status(outcome) == 204)
    }

    /// A call not answered when its function returns waits in the table: a later answer from any
    /// thread reaches it, a second one is refused, and the thread's next inline call is a new
    /// object, so it cannot overwrite the waiting one.
    @Test func aCallStillWaitingIsNotReusedAndTakesItsLaterAnswer() {
        var waiting: (PendingCall, CallHandle)?
        if case .waiting(let call, let handle) = run({ _ in }) { waiting = (call, handle) }
        guard let (call, handle) = waiting else {
            Issue.record("an unanswered inline call must wait")
            return
        }
        let next = run { handle in _ = respond(handle, 202) }
        #expect(status(next) == 202)
        // From a thread of the plugin's own, at once: the table is the process's, and an
        // in-process host of another test that ends its shutdown grace answers every waiting call.
        #expect(onAnotherThread { respond(handle, 207) } == PH_OK)
        #expect(respond(handle, 208) == PH_ERR_ALREADY_ANSWERED)
        guard case .respond(let answer) = call.takeEarlyAnswer() else {
            Issue.record("the waiting call must hold its own answer")
            return
        }
        #expect(answer.status.code == 207)
        table.remove(handle)
    }
}
