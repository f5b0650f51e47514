import Foundation
import Synchronization
import Testing

/// A real `plughost` process serving on a free loopback port, for one test.
final class HostProcess: Sendable {
    let site: URL
    let port: Int
    /// `http` or `https`, as the host announced it.
    let scheme: String
    private let process: Process
    private let log: OutputLog

    /// The site directory: host.toml and plugins/ live here.
    static func makeSite(config: String = "", plugins: (URL) throws -> Void) throws -> URL {
        let site = try makeTemporaryDirectory("plughost-site")
        let pluginsDirectory = site.appending(path: "plugins")
        try FileManager.default.createDirectory(at: pluginsDirectory, withIntermediateDirectories: true)
        try plugins(pluginsDirectory)
        // Most tests speak plain HTTP; the TLS tests enable [tls] themselves.
        let text = config.contains("[tls]") ? config : "[tls]\nenabled = false\n\n" + config
        try text.write(to: site.appending(path: "host.toml"), atomically: true, encoding: .utf8)
        return site
    }

    /// A site without plugins that logs to `logs/server.log` and serves `files` (name → bytes)
    /// from its `static/` directory.
    static func makeStaticSite(_ files: [String: Data]) throws -> URL {
        let site = try makeSite(config: "[logging]\nfile = \"logs/server.log\"\n") { _ in }
        let directory = site.appending(path: "static")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, bytes) in files { try bytes.write(to: directory.appending(path: name)) }
        return site
    }

    /// Starts the host for `site` and waits until it listens. Throws with its output if it exits first.
    /// `port`: 0 for any free one; a fixed one for a host that must come back on the same port.
    /// `executable`: another copy of plughost than the build's.
    init(site: URL, port: Int = 0, arguments: [String] = [], environment: [String: String] = [:], executable: URL = Paths.plughost) throws {
        self.site = site
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--config", site.appending(path: "host.toml").path, "--port", "\(port)"] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let log = OutputLog()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        // A thread of its own reads the pipe with blocking reads until every writer is gone.
        // Not `readabilityHandler`: the dispatch source it installs, torn down while other tests
        // set theirs up, crashed libdispatch's event loop and the whole test process once
        // (swift-corelibs-libdispatch issue 949).
        let reader = pipe.fileHandleForReading
        let thread = Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                log.append(data)
            }
        }
        thread.name = "plughost-output"
        thread.start()
        try process.run()
        self.process = process
        self.log = log

        let deadline = Date().addingTimeInterval(30)
        var port: Int?
        while Date() < deadline {
            if let found = log.listeningPort() {
                port = found
                break
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        guard let port, let scheme = log.listeningScheme() else {
            process.terminate()
            throw FixtureError(message: "plughost did not start listening; output:\n\(log.text)")
        }
        self.port = port
        self.scheme = scheme
    }

    var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Everything the host printed so far.
    var output: String { log.text }

    var isRunning: Bool { process.isRunning }

    /// Waits until the host's output contains `text`, for up to `seconds`.
    func waitForOutput(_ text: String, seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.text.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// The pid of the process started: the supervisor, unless --no-supervisor.
    var pid: Int32 { process.processIdentifier }

    /// The pid of the (only) serving worker, from `plughost status`; nil while none serves.
    func servingWorker() -> Int32? {
        guard let output = try? command(["status"]).output,
              let status = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else { return nil }
        let serving = (status["workers"] as? [[String: Any]])?.first { $0["state"] as? String == "serving" }
        return (serving?["pid"] as? Int).map { Int32($0) }
    }

    /// The serving worker's resident and peak resident memory in bytes (`VmRSS`, `VmHWM`).
    func workerMemory() throws -> (rss: Int, peak: Int) {
        let worker = try #require(servingWorker(), "a serving worker")
        let status = try String(contentsOfFile: "/proc/\(worker)/status", encoding: .utf8)
        func bytes(_ field: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (bytes("VmRSS"), bytes("VmHWM"))
    }

    /// Sends `signal` (e.g. SIGHUP) to the host.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Kills the host at once, supervisor and workers, as a power cut or the OOM killer would:
    /// SIGKILL to the supervisor first (so it starts no replacement), then to each of its children.
    func killEveryProcess() {
        let children = childProcesses(of: process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `plughost ARGS --config <site>/host.toml` to completion, as an operator would beside the host.
    func command(_ arguments: [String]) throws -> CommandResult {
        try run(Paths.plughost.path, arguments + ["--config", site.appending(path: "host.toml").path])
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: site)
    }
}

/// The processes whose parent is `pid`, from /proc.
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let candidate = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.range(of: ")", options: .backwards) else { return nil }
        // After "pid (comm)": state, then the parent's pid.
        let fields = stat[close.upperBound...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid ? candidate : nil
    }
}

/// The host's combined output, appended from the pipe's reader thread.
private final class OutputLog: Sendable {
    private let buffer = Mutex(Data())

    func append(_ data: Data) { buffer.withLock { $0.append(data) } }

    var text: String { buffer.withLock { String(decoding: $0, as: UTF8.self) } }

    func listeningScheme() -> String? {
        let text = self.text
        if text.contains("PlugHost listening on https://") { return "https" }
        return text.contains("PlugHost listening on http://") ? "http" : nil
    }

    func listeningPort() -> Int? {
        let text = self.text
        guard let range = text.range(of: "PlugHost listening on http://") ?? text.range(of: "PlugHost listening on https://") else { return nil }
        let rest = text[range.upperBound...]
        guard let colon = rest.range(of: ":", options: .backwards, range: rest.startIndex..<(rest.firstIndex(of: " ") ?? rest.endIndex)) else { return nil }
        return Int(rest[colon.upperBound...].prefix { $0.isNumber })
    }
}
