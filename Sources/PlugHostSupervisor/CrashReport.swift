import Foundation
import PlugHostProcess

/// What a dead worker's crash record says: how it ended (a signal, or an exit status), the plugin
/// call that ended it, and the other plugin calls in flight.
public struct CrashReport: Sendable, CustomStringConvertible {
    /// A plugin file as the worker recorded it.
    public struct Plugin: Sendable, Hashable {
        public let file: String
        public let sha256: String
        public let name: String
        var shown: String { name.isEmpty ? file : "'\(name)' (\(file))" }
    }

    /// One call into plugin code that had not returned.
    public struct Call: Sendable {
        public let plugin: Plugin?
        public let what: String
        /// Seconds from the call's start to the crash.
        public let runningFor: Double
        var shown: String { "\(plugin?.shown ?? "(unknown)"), \(what), running for \(String(format: "%.3f", runningFor)) s" }
    }

    /// How the process ended.
    public enum Ending: Sendable, Equatable {
        /// A fatal signal. `handled`: the worker's crash handler saw it (and noted the thread).
        case signal(Int32, handled: Bool)
        /// The host's own exit: it noted that it was ending (ph_record_note_host_exit), and no
        /// plugin code called exit().
        case hostExit(status: Int32)
        /// exit() that the host did not decide on: called from plugin code (its handlers noted the
        /// thread), or from a thread that runs no plugin call, such as one a plugin started.
        case exitCalled(status: Int32)
        /// An exit status without exit()'s handlers: `_exit()` or the system call itself, which
        /// the host never uses.
        case exitWithoutHandlers(status: Int32)
    }

    public let ending: Ending
    /// Where the fault was, when the worker's handler saw a SIGSEGV or SIGBUS.
    public let faultAddress: UInt64?
    /// The plugin call that ended the process: the one on the thread that crashed or called
    /// exit(), or, for an exit the host did not decide on and no known thread, the only call in flight.
    public let endingCall: Call?
    /// Whether ``endingCall`` is blamed only for being the only plugin call in flight.
    let blamedAsOnlyCall: Bool
    /// Other plugin calls in flight at the time.
    public let otherCalls: [Call]

    /// The plugin the end is blamed on: only one whose code ended the process.
    public var culprit: Plugin? { endingCall?.plugin }

    /// Whether the host itself ended the process, with a status of its own choosing (a worker that
    /// could not start, `plughost check`'s loader at its end).
    public var isHostExit: Bool {
        if case .hostExit = ending { return true }
        return false
    }

    /// The plugin to blame for the end of a process that was `killedForHanging` (by SIGKILL, for
    /// not starting in time) or not: a process killed while exactly one plugin was loading was
    /// killed for that plugin's hang.
    func culprit(killedForHanging: Bool) -> Plugin? {
        guard killedForHanging, endingCall == nil, otherCalls.count == 1, let loading = otherCalls.first,
              loading.what.hasPrefix("loading ") else { return culprit }
        return loading.plugin
    }

    /// Reads the record behind `descriptor` of a process that `ended`, or, when nil, that is still
    /// dying after its crash handler reported a signal.
    static func read(descriptor: Int32, ended: WorkerExit?) -> CrashReport {
        let record = UnsafeMutablePointer<ph_crash_record_t>.allocate(capacity: 1)
        defer { record.deallocate() }
        guard ph_record_read(descriptor, record) == 0 else {
            let ending: Ending = ended?.status.map { .hostExit(status: $0) } ?? .signal(ended?.signal ?? 0, handled: false)
            return CrashReport(ending: ending, faultAddress: nil, endingCall: nil, blamedAsOnlyCall: false, otherCalls: [])
        }
        let plugins: [Plugin] = withUnsafePointer(to: &record.pointee.plugins) { tuple in
            tuple.withMemoryRebound(to: ph_record_plugin_t.self, capacity: Int(PH_RECORD_PLUGINS)) { entries in
                (0..<min(Int(record.pointee.plugin_count), Int(PH_RECORD_PLUGINS))).map { index in
                    Plugin(file: text(entries[index].file), sha256: text(entries[index].sha256), name: text(entries[index].name))
                }
            }
        }
        let handlerRan = record.pointee.crash_signal != 0
        let exitSlot = Int(record.pointee.exit_slot)
        let ending: Ending
        let endingSlot: Int
        if handlerRan || ended?.status == nil {
            // A signal; one the handler saw wins over an exit in progress (a crash in an exit handler).
            ending = .signal(handlerRan ? record.pointee.crash_signal : ended?.signal ?? 0, handled: handlerRan)
            endingSlot = handlerRan ? Int(record.pointee.crash_slot) : Int(PH_RECORD_NO_SLOT)
        } else if record.pointee.exit_called == 0 {
            ending = .exitWithoutHandlers(status: ended?.status ?? 0)
            endingSlot = Int(PH_RECORD_NO_SLOT)
        } else if record.pointee.host_exit != 0, exitSlot == Int(PH_RECORD_NO_SLOT) {
            ending = .hostExit(status: ended?.status ?? 0)
            endingSlot = Int(PH_RECORD_NO_SLOT)
        } else {
            ending = .exitCalled(status: ended?.status ?? 0)
            endingSlot = exitSlot
        }
        let endTime = handlerRan ? record.pointee.crash_ns : UInt64(DispatchTime.now().uptimeNanoseconds)
        var endingCall: Call?
        var others: [Call] = []
        withUnsafePointer(to: &record.pointee.slots) { tuple in
            tuple.withMemoryRebound(to: ph_record_slot_t.self, capacity: Int(PH_RECORD_SLOTS)) { slots in
                for index in 0..<min(Int(record.pointee.slot_count), Int(PH_RECORD_SLOTS)) where slots[index].active != 0 {
                    let slot = slots[index]
                    let plugin = slot.plugin >= 0 && Int(slot.plugin) < plugins.count ? plugins[Int(slot.plugin)] : nil
                    let elapsed = endTime > slot.started_ns ? Double(endTime - slot.started_ns) / 1e9 : 0
                    let call = Call(plugin: plugin, what: text(slot.what), runningFor: elapsed)
                    if index == endingSlot { endingCall = call } else { others.append(call) }
                }
            }
        }
        // An exit the host did not decide on, from no known plugin call: the only plugin code
        // running is to blame (after an _exit(), or an exit() on a thread a plugin started).
        var blamedAsOnlyCall = false
        switch ending {
        case .exitCalled, .exitWithoutHandlers:
            if endingCall == nil, others.count == 1 {
                endingCall = others.removeFirst()
                blamedAsOnlyCall = true
            }
        case .signal, .hostExit:
            break
        }
        return CrashReport(ending: ending, faultAddress: handlerRan ? record.pointee.fault_address : nil,
                           endingCall: endingCall, blamedAsOnlyCall: blamedAsOnlyCall, otherCalls: others)
    }

    /// Starts with a verb, to follow "it": "was killed by SIGSEGV …", "exited with status 7, …".
    public var description: String {
        var text: String
        switch ending {
        case .signal(let signal, let handled):
            text = "was killed by \(Self.name(of: signal))"
            if let faultAddress, [SIGSEGV, SIGBUS].contains(signal) { text += " at address 0x\(String(faultAddress, radix: 16))" }
            if endingCall != nil {
                text += blamedCall
            } else if handled {
                text += " in a thread that was not running plugin code (a host bug, or a thread a plugin started)"
            } else {
                text += "; its crash handler did not run (killed from outside, or a stack overflow)"
            }
        case .hostExit(let status):
            text = "exited with status \(status)"
        case .exitCalled(let status):
            let how = endingCall == nil || blamedAsOnlyCall ? " through exit() on a thread that ran no plugin call (one a plugin started, say)" : ", calling exit()"
            text = "exited with status \(status)\(how)\(blamedCall)"
        case .exitWithoutHandlers(let status):
            text = "exited with status \(status) without exit() (an _exit() or the exit system call)\(blamedCall)"
        }
        if !otherCalls.isEmpty {
            text += "; also in flight: " + otherCalls.map(\.shown).joined(separator: "; ")
        }
        return text
    }

    /// " in plugin 'NAME' (FILE), CALL, running for …", and why, when it is blamed for being the
    /// only call in flight; empty when no call is blamed.
    private var blamedCall: String {
        guard let endingCall else { return "" }
        return " in plugin \(endingCall.shown)\(blamedAsOnlyCall ? ", the only plugin call in flight" : "")"
    }

    /// `SIGSEGV (segmentation fault)`.
    public static func name(of signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGABRT: "SIGABRT",
                                      SIGTRAP: "SIGTRAP", SIGSYS: "SIGSYS", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT"]
        let meaning = strsignal(signal).map { String(cString: $0).lowercased() } ?? "unknown"
        return "\(names[signal] ?? "signal \(signal)") (\(meaning))"
    }
}

/// A C `char[N]`, imported as a tuple, as a String up to its first NUL.
private func text<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
