import Foundation
import PlugHostObservability
import PlugHostProcess
import PlugHostSockets
import PlugHostThreads
import PlugHostWorkerLink

/// A worker process the supervisor started, and the threads that watch it: one reads its
/// messages, one waits for its exit, one relays its log-file lines. Each reports to the
/// supervisor's event stream; the supervisor alone changes its own state.
final class WorkerProcess: Sendable {
    let id: Int
    let generation: Int
    let pid: pid_t
    /// The supervisor's end of the control socket.
    let control: Int32
    /// The crash record the worker writes, read after it dies.
    let crashRecord: Int32

    private init(id: Int, generation: Int, pid: pid_t, control: Int32, crashRecord: Int32) {
        self.id = id
        self.generation = generation
        self.pid = pid
        self.control = control
        self.crashRecord = crashRecord
    }

    struct SpawnFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts a worker (``workerCommand(_:)``) with `arguments` and the descriptors of ``WorkerDescriptor``.
    static func spawn(id: Int, generation: Int, arguments: [String], listeners: Listeners,
                      logSink: (any LogSink)?, events: AsyncStream<SupervisorEvent>.Continuation) throws -> WorkerProcess {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SpawnFailure(description: "cannot make the worker's control socket: \(String(cString: strerror(errno)))")
        }
        var logPipe: [Int32] = [-1, -1]
        guard ph_pipe_cloexec(&logPipe) == 0 else {
            let message = String(cString: strerror(errno))
            close(pair[0]); close(pair[1])
            throw SpawnFailure(description: "cannot make the worker's log pipe: \(message)")
        }
        // Room for the lines written while the supervisor gathers (a worker blocks when it is full).
        _ = ph_pipe_set_size(logPipe[1], 1 << 20)
        let record: Int32
        do {
            record = try makeCrashRecord()
        } catch {
            [pair[0], pair[1], logPipe[0], logPipe[1]].forEach { close($0) }
            throw error
        }
        // Order matters: index i becomes descriptor 3 + i in the worker (WorkerDescriptor).
        var descriptors = [pair[1], record, logPipe[1], listeners.main.descriptor]
        if let redirect = listeners.redirect { descriptors.append(redirect.descriptor) }
        let pid: pid_t
        do {
            let command = workerCommand(arguments)
            pid = try start(command.executable, command.arguments, descriptors: descriptors)
        } catch {
            [pair[0], pair[1], logPipe[0], logPipe[1], record].forEach { close($0) }
            throw error
        }
        close(pair[1])
        close(logPipe[1])
        let worker = WorkerProcess(id: id, generation: generation, pid: pid, control: pair[0], crashRecord: record)
        worker.watch(logPipe: logPipe[0], logSink: logSink, events: events)
        return worker
    }

    private func watch(logPipe: Int32, logSink: (any LogSink)?, events: AsyncStream<SupervisorEvent>.Continuation) {
        let id = id
        let pid = pid
        let control = control
        // Signalled when the worker's log lines are all in the file (its end of the pipe closed).
        let linesRelayed = DispatchSemaphore(value: 0)
        // One thread, in this order: every message the worker sent (its end closes when it
        // exits), then its exit. Two threads could report the exit before the message saying why.
        OSThread.start(name: "plughost-watch") {
            DescriptorReader.forEachLine(of: control) { line in
                if let message = WorkerMessage(line: line) { events.yield(.message(worker: id, message)) }
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            // The exit is reported once the lines the worker wrote before it are in the file: the
            // supervisor may end on it (shutdown), and the relay may still have been gathering.
            // Bounded, in case a process the worker started still holds the pipe.
            _ = linesRelayed.wait(timeout: .now() + .milliseconds(Int(SupervisorTimeouts.logRelayAfterExit * 1000)))
            events.yield(.exited(worker: id, status: WorkerExit(rawStatus: status)))
        }
        OSThread.start(name: "plughost-relay") {
            // Whole runs of complete lines, one write each, gathered for a few milliseconds: at two
            // log lines per request, a read and a write per line cost the supervisor a tenth of
            // the host's throughput on two cores.
            DescriptorReader.forEachRun(of: logPipe, gather: .milliseconds(10)) { lines in logSink?.write(lines) }
            close(logPipe)
            linesRelayed.signal()
        }
    }

    /// Asks the worker to stop accepting and finish what it has (graceful shutdown).
    func drain() {
        _ = Glibc.kill(pid, SIGTERM)
    }

    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Closes the supervisor's descriptors once the worker has exited and been reported.
    func release() {
        close(control)
        close(crashRecord)
    }

    /// A new crash record for a child that loads plugins: in /dev/shm, else the temporary directory.
    static func makeCrashRecord() throws(SpawnFailure) -> Int32 {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let record = ph_record_create(directory)
        guard record >= 0 else {
            throw SpawnFailure(description: "cannot make a crash record in \(directory): \(String(cString: strerror(errno)))")
        }
        return record
    }

    /// This very binary: children run the same build as their parent.
    static var thisExecutable: String {
        ExecutablePath.current ?? CommandLine.arguments[0]
    }

    /// What a worker runs as: `plughost-worker` from beside this binary, which links
    /// FoundationEssentials only and so keeps about 12 MB less resident (docs/PERFORMANCE.md);
    /// this binary's own `worker` command when that file is missing (a copied `plughost` alone).
    /// Either makes its OpenAPI document with this binary's `docs-build`.
    static func workerCommand(_ arguments: [String]) -> (executable: String, arguments: [String]) {
        let me = thisExecutable
        let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("plughost-worker").path
        let withBuilder = arguments + ["--docs-builder", me]
        return access(beside, X_OK) == 0 ? (beside, withBuilder) : (me, ["worker"] + withBuilder)
    }

    /// Starts this very binary with `arguments`, `descriptors` becoming 3, 4, ... in the child;
    /// returns its pid.
    static func startSelf(_ arguments: [String], descriptors: [Int32]) throws(SpawnFailure) -> pid_t {
        try start(thisExecutable, arguments, descriptors: descriptors)
    }

    private static func start(_ executable: String, _ arguments: [String], descriptors: [Int32]) throws(SpawnFailure) -> pid_t {
        var pid: pid_t = 0
        let result = withCStrings([executable] + arguments) { argvPointer in
            withCStrings(childEnvironment()) { envPointer in
                ph_spawn(executable, argvPointer, envPointer, -1, -1, descriptors, Int32(descriptors.count), &pid)
            }
        }
        guard result == 0 else {
            throw SpawnFailure(description: "cannot start \(executable) \(arguments.first ?? ""): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// This process's environment, with the Swift runtime's backtracer off unless the operator
    /// set SWIFT_BACKTRACE: it keeps a crashed worker (and every connection it held) alive for
    /// seconds while it symbolicates, and its helper process inherits the client sockets. The
    /// crash record already names the plugin and the route (docs/OPERATIONS.md).
    private static func childEnvironment() -> [String] {
        var environment = ProcessInfo.processInfo.environment
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        return environment.map { "\($0.key)=\($0.value)" }
    }
}

/// How a worker process ended.
struct WorkerExit: Sendable, CustomStringConvertible {
    let rawStatus: Int32
    /// The signal that killed it, if one did.
    var signal: Int32? {
        let terminatingSignal = rawStatus & 0x7f
        return terminatingSignal != 0 && terminatingSignal != 0x7f ? terminatingSignal : nil
    }
    /// Its exit status, if it exited.
    var status: Int32? { signal == nil ? (rawStatus >> 8) & 0xff : nil }
    var description: String {
        if let signal { return "was killed by \(CrashReport.name(of: signal))" }
        return "exited with status \(status ?? -1)"
    }
}
