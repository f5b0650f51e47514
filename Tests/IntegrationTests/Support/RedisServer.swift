import Foundation

/// A real `redis-server` on a loopback port, owned by one test: started, killed and restarted at will.
final class RedisServer {
    private(set) var port: Int
    private var process: Process?

    init() throws {
        // Below the kernel's ephemeral range (32768-60999), where other tests' client sockets live;
        // a port that is taken anyway makes redis exit, and another is tried.
        port = Int.random(in: 20_000...32_000)
        for attempt in 1...5 {
            do {
                try start()
                return
            } catch where attempt < 5 {
                port = Int.random(in: 20_000...32_000)
            }
        }
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    func start() throws {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? run("redis-cli", ["-p", "\(port)", "ping"]).output.contains("PONG")) == true { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw FixtureError(message: "redis-server did not start on port \(port) (is it installed? .ci/run installs it)")
    }

    /// Kills the server at once, as a crash or a network cut would.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}
