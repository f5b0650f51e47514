import FoundationEssentials
import Glibc
import PlugHostProcess
import PlugHostThreads
import Synchronization

/// Takes log lines off the request path: ``enqueue(_:)`` copies a rendered line into the log
/// queue (plughost_process.h) and returns; one thread writes the queue in batches to every sink.
/// When the queue is full a line is dropped and counted (`plughost_log_lines_dropped_total`),
/// and the next batch says how many were. A fatal signal in a worker writes what is still queued.
final class LogWriter: Sendable {
    /// Lines wait up to this long for others to share their write.
    static let gather: Int32 = 3
    let sinks: [any LogSink]
    private let dropped = Atomic<Int>(0)

    /// `capacity`: `[logging] queue_size`, the bytes of each of the queue's two buffers (at about
    /// 200 bytes a line, the default 1 MiB holds some 5,000 lines).
    init(sinks: [any LogSink], capacity: Int) {
        self.sinks = sinks
        _ = ph_log_queue_init(capacity)
        updateCrashDescriptors()
        let writer = self
        OSThread.start(name: "plughost-log") { writer.run() }
    }

    func enqueue(_ line: String) {
        var line = line
        line.withUTF8 { enqueue(UnsafeRawBufferPointer($0)) }
    }

    /// Copies a rendered line (newline included) into the queue.
    func enqueue(_ line: UnsafeRawBufferPointer) {
        countDrop(ph_log_queue_push(line.baseAddress, line.count))
    }

    /// The first step of a line enqueued later (``enqueueHeld(_:)``), taken before what the line
    /// reports happens: a crash in between waits for the line instead of losing it.
    func hold() { ph_log_queue_hold() }

    /// Enqueues the line a ``hold()`` announced.
    func enqueueHeld(_ line: UnsafeRawBufferPointer) {
        countDrop(ph_log_queue_push_held(line.baseAddress, line.count))
    }

    private func countDrop(_ queued: Int32) {
        if queued == 0 {
            dropped.add(1, ordering: .relaxed)
            HostMetrics.shared.logLinesDropped()
        }
    }

    /// Returns once every line enqueued before the call has been written.
    func flush() { ph_log_queue_flush() }

    /// Tells the crash handler where to write; again after a log file is rotated.
    func updateCrashDescriptors() {
        let descriptors = sinks.compactMap(\.crashDescriptor)
        descriptors.withUnsafeBufferPointer { ph_log_queue_set_crash_fds($0.baseAddress, Int32($0.count)) }
    }

    private func run() {
        while true {
            var bytes: UnsafeRawPointer?
            let length = ph_log_queue_take(Self.gather, &bytes)
            let batch = UnsafeRawBufferPointer(start: bytes, count: length)
            for sink in sinks { sink.write(batch) }
            let lost = dropped.exchange(0, ordering: .relaxed)
            if lost > 0 {
                let line = "\(LogTimestamp.now()) warning plughost: \(lost) log line(s) dropped: the log queue was full (the sinks are slower than the lines arrive)\n"
                for sink in sinks { sink.write(line) }
            }
        }
    }
}
