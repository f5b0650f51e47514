import Glibc
import Synchronization

/// The inline plugin call running on one thread, if any: where an inline call lives instead of
/// the call table while its function runs (``CallTable/runInline(_:_:)``).
///
/// Most non-blocking functions answer before they return, on their own thread: that answer then
/// finds its call here, in a lock no other thread touches, instead of in the table's dictionary
/// that every event loop shares. An answer from another thread while the function runs finds
/// the call by looking through every thread's slot (``InlineCallSlot/find(_:)``), which is rare.
final class InlineCallSlot: Sendable {
    private let current = Mutex<(id: UInt64, call: PendingCall)?>(nil)
    /// This thread's last inline call, kept for the next one. Only its own thread touches it.
    nonisolated(unsafe) private var last: PendingCall?

    /// This thread's slot, made on its first inline call and forgotten when the thread ends.
    static var mine: InlineCallSlot {
        if let existing = pthread_getspecific(key) { return Unmanaged<InlineCallSlot>.fromOpaque(existing).takeUnretainedValue() }
        let slot = InlineCallSlot()
        all.withLock { $0.append(slot) }
        pthread_setspecific(key, Unmanaged.passRetained(slot).toOpaque())
        return slot
    }

    /// This thread's slot if it has made an inline call; a plugin's own threads never get one.
    static var mineIfAny: InlineCallSlot? {
        pthread_getspecific(key).map { Unmanaged<InlineCallSlot>.fromOpaque($0).takeUnretainedValue() }
    }

    /// A call for this thread's next inline call: the last one again when nothing else holds it
    /// any more (answered inline and forgotten, as most are), else a new one. On its own thread only.
    func call(owner: CallOwner, view: RequestView) -> PendingCall {
        if last != nil, isKnownUniquelyReferenced(&last) {
            last!.reuse(owner: owner, view: view)
            return last!
        }
        let call = PendingCall(owner: owner, view: view)
        last = call
        return call
    }

    /// Holds `call` as this thread's inline call; false when one is here already (a plugin
    /// function that somehow runs another inline: that one goes through the table).
    func enter(_ id: UInt64, _ call: PendingCall) -> Bool {
        current.withLock { current in
            guard current == nil else { return false }
            current = (id, call)
            return true
        }
    }

    func leave() {
        current.withLock { $0 = nil }
    }

    /// The call with `id` if it is this slot's.
    func call(_ id: UInt64) -> PendingCall? {
        current.withLock { $0?.id == id ? $0?.call : nil }
    }

    /// The inline call with `id` on any thread.
    static func find(_ id: UInt64) -> PendingCall? {
        all.withLock { slots in
            for slot in slots {
                if let call = slot.call(id) { return call }
            }
            return nil
        }
    }

    /// Every thread's inline call at this moment.
    static func running() -> [PendingCall] {
        all.withLock { slots in slots.compactMap { slot in slot.current.withLock { $0?.call } } }
    }

    private static let all = Mutex<[InlineCallSlot]>([])

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        // A thread that ends takes its slot out of the list (it holds no call then: a call
        // leaves the slot before its inline run returns).
        let made = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            let slot = Unmanaged<InlineCallSlot>.fromOpaque(pointer).takeRetainedValue()
            InlineCallSlot.all.withLock { $0.removeAll { $0 === slot } }
        }
        precondition(made == 0, "pthread_key_create failed: \(made)")
        return key
    }()
}
