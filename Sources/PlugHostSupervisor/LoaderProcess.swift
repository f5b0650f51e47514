import Foundation
import PlugHostProcess
import PlugHostWorkerLink

/// A child process that loads plugins for `plughost check`, watched as the supervisor watches a
/// worker: with a crash record (descriptor ``WorkerDescriptor/crashRecord``) and a time limit, so
/// that a plugin that crashes, exits or hangs while it loads ends the child, not the check, and is
/// named. The child's end of a socket pair (descriptor ``WorkerDescriptor/control``) is its
/// lifeline: it reads end of file there when this process is gone (Ctrl-C), and stops.
public enum LoaderProcess {
    public enum Outcome: Sendable {
        /// The child ran to its own end (exit() outside plugin code) with this status.
        case finished(status: Int32)
        /// Something else ended it: a signal, plugin code that ended the process, or the time limit
        /// (`timedOut`: it was killed). `culprit`: the plugin whose code did it, if one is known.
        case ended(CrashReport, culprit: CrashReport.Plugin?, timedOut: Bool)
    }

    /// Runs `plughost ARGUMENTS` to its end, or for `timeLimit` seconds and then kills it.
    public static func run(_ arguments: [String], timeLimit: Double) throws -> Outcome {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw WorkerProcess.SpawnFailure(description: "cannot make a socket pair: \(String(cString: strerror(errno)))")
        }
        defer { close(pair[0]) }
        let record: Int32
        do {
            record = try WorkerProcess.makeCrashRecord()
        } catch {
            close(pair[1])
            throw error
        }
        defer { close(record) }
        // Index i becomes descriptor 3 + i: the same numbers as in a worker.
        let pid: pid_t
        do {
            pid = try WorkerProcess.startSelf(arguments, descriptors: [pair[1], record])
        } catch {
            close(pair[1])
            throw error
        }
        close(pair[1])

        let deadline = ContinuousClock.now + .seconds(timeLimit)
        var timedOut = false
        var rawStatus: Int32 = 0
        while true {
            let reaped = waitpid(pid, &rawStatus, WNOHANG)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR {
                throw WorkerProcess.SpawnFailure(description: "cannot wait for process \(pid): \(String(cString: strerror(errno)))")
            }
            if !timedOut, ContinuousClock.now >= deadline {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(10_000)
        }
        let ended = WorkerExit(rawStatus: rawStatus)
        let report = CrashReport.read(descriptor: record, ended: ended)
        if !timedOut, report.isHostExit, let status = ended.status {
            return .finished(status: status)
        }
        return .ended(report, culprit: report.culprit(killedForHanging: timedOut), timedOut: timedOut)
    }
}
