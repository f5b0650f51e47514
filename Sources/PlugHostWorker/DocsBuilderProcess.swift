import FoundationEssentials
import Glibc
import PlugHostDocs
import PlugHostProcess
import PlugHostThreads
import PlugHostWorkerLink

/// Makes a worker's OpenAPI document in a `plughost docs-build` child: OpenAPIKit, which checks
/// every plugin's fragment, needs full Foundation, and a worker that links it keeps about 12 MB
/// more resident for as long as it serves (docs/PERFORMANCE.md, worker memory). The child gets
/// the ``DocsInput`` as JSON on its standard input and answers the ``APIDocument`` as JSON.
///
/// A child that fails, hangs or answers nonsense costs the docs, not the worker: the document is
/// then an empty one with a warning (which `[plugins] strict = true` refuses to start with).
struct DocsBuilderProcess: Sendable {
    let executable: String
    /// How long the child may take: it builds in milliseconds; this bounds a hung one.
    var timeLimit: Duration = .seconds(30)

    func make(_ input: DocsInput) -> APIDocument {
        do {
            return try build(input)
        } catch {
            return APIDocument(unavailable: input.info, problem: "\(executable) docs-build could not make it: \(error)")
        }
    }

    /// The real path of the running binary: `plughost worker` is its own docs builder.
    static func thisExecutable() -> String {
        ExecutablePath.current ?? CommandLine.arguments[0]
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func build(_ input: DocsInput) throws -> APIDocument {
        let request = Array(try JSONEncoder().encode(input))
        // The request goes through a socket, not a pipe: written with MSG_NOSIGNAL, a child that
        // is gone is an error here and not a SIGPIPE, whatever this process does with that signal.
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &toChild) == 0 else {
            throw Failure(description: "no socket: \(String(cString: strerror(errno)))")
        }
        defer { toChild.filter { $0 >= 0 }.forEach { close($0) } }
        guard ph_pipe_cloexec(&fromChild) == 0 else { throw Failure(description: "no pipe: \(String(cString: strerror(errno)))") }
        defer { fromChild.filter { $0 >= 0 }.forEach { close($0) } }
        var pid: pid_t = 0
        let started = withCStrings([executable, "docs-build"]) { arguments in
            ph_spawn(executable, arguments, environ, toChild[1], fromChild[1], nil, 0, &pid)
        }
        guard started == 0 else { throw Failure(description: "cannot start it: \(String(cString: strerror(started)))") }
        close(toChild[1])
        toChild[1] = -1
        close(fromChild[1])
        fromChild[1] = -1
        let deadline = ContinuousClock.now + timeLimit
        let exchanged = Result { try exchange(request, to: &toChild[0], from: fromChild[0], until: deadline) }
        let status = reap(pid, killNow: (try? exchanged.get()) == nil, until: deadline)
        let answer = try exchanged.get()
        // Exited normally with 0: WIFEXITED and WEXITSTATUS, which Swift cannot import as macros.
        guard let status, status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(description: status.map { "it ended with wait status \($0)" } ?? "it did not end within \(timeLimit)")
        }
        do {
            return try JSONDecoder().decode(APIDocument.self, from: Data(answer))
        } catch {
            throw Failure(description: "its answer is not a document (\(answer.count) bytes)")
        }
    }

    /// Writes `request` and reads the answer to its end, both without blocking past the time limit
    /// (a child that stops reading or writing cannot hold the worker's start).
    private func exchange(_ request: [UInt8], to input: inout Int32, from output: Int32, until deadline: ContinuousClock.Instant) throws -> [UInt8] {
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        var sent = 0
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw Failure(description: "it took longer than \(timeLimit)") }
            var watched = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            if input >= 0 { watched.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&watched, nfds_t(watched.count), milliseconds)
            if ready < 0, errno == EINTR { continue }
            guard ready >= 0 else { throw Failure(description: "poll: \(String(cString: strerror(errno)))") }
            if input >= 0, watched.count > 1, watched[1].revents != 0 {
                let written = request[sent...].withUnsafeBytes { send(input, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written > 0 { sent += written }
                if written < 0, errno != EAGAIN, errno != EINTR { throw Failure(description: "it stopped reading: \(String(cString: strerror(errno)))") }
                if sent == request.count {
                    close(input)
                    input = -1
                }
            }
            if watched[0].revents != 0 {
                let count = read(output, &chunk, chunk.count)
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count >= 0 else { throw Failure(description: "read: \(String(cString: strerror(errno)))") }
                if count == 0 {
                    guard input < 0 else { throw Failure(description: "it ended before reading the whole request") }
                    return answer
                }
                answer.append(contentsOf: chunk[..<count])
            }
        }
    }

    /// The child's wait status once it has ended; killed first when `killNow` or when it is still
    /// running at `deadline` (it closed its output but does not exit). Nil when it could not be
    /// waited for.
    private func reap(_ pid: pid_t, killNow: Bool, until deadline: ContinuousClock.Instant) -> Int32? {
        if killNow { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, killNow ? 0 : WNOHANG)
            if result == pid { return killNow ? nil : status }
            if result < 0, errno != EINTR { return nil }
            if result == 0, ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                return nil
            }
            if result == 0 { OSThread.sleep(seconds: 0.002) }
        }
    }
}
