import FoundationEssentials
import Glibc
public import Logging
import PlugHostProcess
public import PlugHostSockets
import PlugHostThreads

/// A worker's side of the supervisor relationship: the descriptors it inherited, the messages it
/// sends, and the lifeline that ends it when the supervisor is gone.
public enum WorkerRuntime {
    /// Why a worker cannot take what the supervisor handed it.
    public struct AttachFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Maps the crash record and takes the inherited listening sockets. Call before loading plugins.
    public static func attach() throws -> Listeners {
        // The supervisor's ends of the control socket and the log pipe vanish with it; writing to
        // them then must fail, not kill the worker before its lifeline shuts it down gracefully.
        signal(SIGPIPE, SIG_IGN)
        // Not to a program a plugin runs: the supervisor learns of this worker's exit when its
        // control socket closes, which a child holding a copy would delay.
        for descriptor in [WorkerDescriptor.control, WorkerDescriptor.crashRecord, WorkerDescriptor.logFile] {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        try attachCrashRecord()
        return Listeners(
            main: try ListeningSocket.inherited(WorkerDescriptor.listener),
            // Handed over only when [server] http_port is set.
            redirect: try? ListeningSocket.inherited(WorkerDescriptor.redirectListener)
        )
    }

    /// Maps the crash record and installs the handlers that fill it. Call before loading plugins:
    /// from then on a fatal signal, or an exit() from plugin code, is reported with the plugin
    /// call it ended (`plughost check`'s loader process calls this alone).
    public static func attachCrashRecord() throws {
        guard ph_record_attach(WorkerDescriptor.crashRecord, WorkerDescriptor.control) == 0 else {
            throw AttachFailure(description: "the crash record (descriptor \(WorkerDescriptor.crashRecord)) cannot be mapped: \(String(cString: strerror(errno)))")
        }
        ph_record_install_crash_handlers()
    }

    /// Notes in the crash record that the host itself ends this process now (its command returned
    /// or failed). Any other exit is read as plugin code's (CrashReport, in the supervisor).
    public static func noteHostExit() {
        ph_record_note_host_exit()
    }

    /// Tells the supervisor something; a failed write means it is gone, which the lifeline handles.
    public static func send(_ message: WorkerMessage) {
        let line = message.line
        line.withUnsafeBytes { bytes in _ = write(WorkerDescriptor.control, bytes.baseAddress, bytes.count) }
    }

    /// Watches the control socket: when the supervisor exits (even by SIGKILL) its end closes, and
    /// this worker shuts down gracefully rather than serve on unsupervised.
    public static func startLifeline(logger: Logger) {
        whenParentIsGone {
            logger.warning("the supervisor is gone; shutting down")
            kill(getpid(), SIGTERM)
        }
    }

    /// Runs `action` on a thread of its own once the process at the other end of the control
    /// socket has exited (even by SIGKILL): its end closes then.
    public static func whenParentIsGone(_ action: @escaping @Sendable () -> Void) {
        OSThread.start(name: "plughost-life") {
            var byte: UInt8 = 0
            while true {
                let count = read(WorkerDescriptor.control, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
            }
            action()
        }
    }
}
