import Foundation
import PlugHostProcess

/// What a dead worker's crash record says: the signal, the plugin call on the crashing thread,
/// and the other plugin calls in flight.
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

    /// The signal that killed the worker.
    public let signal: Int32
    /// Where the fault was, when the worker's handler saw the signal (nil: it never ran).
    public let faultAddress: UInt64?
    /// The plugin call on the thread that crashed: the plugin is to blame.
    public let crashingCall: Call?
    /// Other plugin calls in flight at the time.
    public let otherCalls: [Call]

    /// The plugin the crash is blamed on: only one whose code the crashing thread was running.
    public var culprit: Plugin? { crashingCall?.plugin }

    /// Reads the record behind `descriptor` of a worker that crashed (its handler said so) or died
    /// from `signal`.
    static func read(descriptor: Int32, signal: Int32?) -> CrashReport {
        let record = UnsafeMutablePointer<ph_crash_record_t>.allocate(capacity: 1)
        defer { record.deallocate() }
        guard ph_record_read(descriptor, record) == 0 else {
            return CrashReport(signal: signal ?? 0, faultAddress: nil, crashingCall: nil, otherCalls: [])
        }
        let plugins: [Plugin] = withUnsafePointer(to: &record.pointee.plugins) { tuple in
            tuple.withMemoryRebound(to: ph_record_plugin_t.self, capacity: Int(PH_RECORD_PLUGINS)) { entries in
                (0..<min(Int(record.pointee.plugin_count), Int(PH_RECORD_PLUGINS))).map { index in
                    Plugin(file: text(entries[index].file), sha256: text(entries[index].sha256), name: text(entries[index].name))
                }
            }
        }
        let handlerRan = record.pointee.crash_signal != 0
        let crashSlot = Int(record.pointee.crash_slot)
        let crashTime = handlerRan ? record.pointee.crash_ns : UInt64(DispatchTime.now().uptimeNanoseconds)
        var crashing: Call?
        var others: [Call] = []
        withUnsafePointer(to: &record.pointee.slots) { tuple in
            tuple.withMemoryRebound(to: ph_record_slot_t.self, capacity: Int(PH_RECORD_SLOTS)) { slots in
                for index in 0..<min(Int(record.pointee.slot_count), Int(PH_RECORD_SLOTS)) where slots[index].active != 0 {
                    let slot = slots[index]
                    let plugin = slot.plugin >= 0 && Int(slot.plugin) < plugins.count ? plugins[Int(slot.plugin)] : nil
                    let elapsed = crashTime > slot.started_ns ? Double(crashTime - slot.started_ns) / 1e9 : 0
                    let call = Call(plugin: plugin, what: text(slot.what), runningFor: elapsed)
                    if handlerRan, index == crashSlot { crashing = call } else { others.append(call) }
                }
            }
        }
        return CrashReport(signal: handlerRan ? record.pointee.crash_signal : signal ?? 0, faultAddress: handlerRan ? record.pointee.fault_address : nil,
                           crashingCall: crashing, otherCalls: others)
    }

    public var description: String {
        var text = "killed by \(Self.name(of: signal))"
        if let faultAddress, [SIGSEGV, SIGBUS].contains(signal) { text += " at address 0x\(String(faultAddress, radix: 16))" }
        if let crashingCall {
            text += " in plugin \(crashingCall.shown)"
        } else if faultAddress != nil {
            text += " in a thread that was not running plugin code (a host bug, or a thread a plugin started)"
        } else {
            text += "; its crash handler did not run (killed from outside, or a stack overflow)"
        }
        if !otherCalls.isEmpty {
            text += "; also in flight: " + otherCalls.map(\.shown).joined(separator: "; ")
        }
        return text
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
