import Foundation

/// The outcome of a finished command.
struct CommandResult {
    let status: Int32
    let output: String
    let error: String
    var combined: String { output + error }
}

/// Runs a command to completion and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, input: Data? = nil) throws -> CommandResult {
    try RunningCommand(executable, arguments, in: directory, input: input).wait()
}

/// A command started and not yet waited for: for load generators that must run beside the test
/// from the moment they are started. (A Swift task that blocks in `run` may wait for a free
/// cooperative thread first, seconds when the suites run in parallel.)
final class RunningCommand: @unchecked Sendable {
    // Touched by the starting thread, then by the one `wait` caller.
    private let process = Process()
    private let outputFile = FileManager.default.temporaryDirectory.appending(path: "out-\(UUID().uuidString)")
    private let errorFile = FileManager.default.temporaryDirectory.appending(path: "err-\(UUID().uuidString)")

    init(_ executable: String, _ arguments: [String], in directory: URL? = nil, input: Data? = nil) throws {
        process.executableURL = URL(filePath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let directory { process.currentDirectoryURL = directory }
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        // Files, not pipes: a chatty command can never block on a full pipe buffer.
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        if let input {
            let inputFile = FileManager.default.temporaryDirectory.appending(path: "in-\(UUID().uuidString)")
            try input.write(to: inputFile)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        } else {
            // Never the test runner's own stdin: a tool that reads it (openssl s_client) would wait forever.
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends SIGINT, as Ctrl-C would (start the command `withDefaultSignals`, or it may be blocked).
    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Ends the command with SIGKILL (which no signal mask blocks) and waits for it.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        _ = wait()
    }

    /// The first line the command printed, once it has; nil if it has not within `seconds`.
    func waitForFirstLine(seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOf: outputFile, encoding: .utf8), let end = text.firstIndex(of: "\n") {
                return String(text[..<end])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// Starts `executable` with every signal unblocked (see ``runWithDefaultSignals``).
    static func withDefaultSignals(_ executable: String, _ arguments: [String]) throws -> RunningCommand {
        try RunningCommand("python3", ["-c", unblockSignalsAndExec, executable] + arguments)
    }

    /// Waits for the command to end and returns its status and output.
    func wait() -> CommandResult {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        // Decoded leniently: a command may print bytes that are not UTF-8 (openssl s_client prints
        // what the server sent, such as binary HTTP/2 frames), and the rest must still be read.
        return CommandResult(
            status: process.terminationStatus,
            output: (try? Data(contentsOf: outputFile)).map { String(decoding: $0, as: UTF8.self) } ?? "",
            error: (try? Data(contentsOf: errorFile)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        )
    }
}

/// Python that unblocks every signal, then becomes the command in its argv (same pid).
let unblockSignalsAndExec = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"

/// Runs a command with every signal unblocked, as a shell would start it.
///
/// Children of the test process inherit the signal mask of the thread that spawns them, and
/// Swift's test threads block most signals (SIGTERM and SIGALRM among them). Tools that stop
/// their own children with SIGTERM (testssl.sh's timeouts around openssl) then wait forever.
@discardableResult
func runWithDefaultSignals(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
    try run("python3", ["-c", unblockSignalsAndExec, executable] + arguments, in: directory)
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String = "plughost") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
