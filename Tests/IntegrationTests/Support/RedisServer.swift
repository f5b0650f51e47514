import Foundation

/// A real `redis-server` on a loopback port, owned by one test: started, killed and restarted at will.
///
/// Optionally as it is deployed: ACL users (the default user kept for administrators, with a
/// password of its own: see docs/DEPLOYMENT.md for why not `off`), TLS only (no plain port,
/// certificates from ``TestCertificates``), and its data kept on disk across a stop and start.
final class RedisServer {
    struct User {
        let name: String
        let password: String
        /// Its ACL rules: every key, channel and command unless a test narrows them.
        var rules = ["~*", "&*", "+@all"]
    }

    private(set) var port: Int
    /// The ACL users; the first is the one ``url`` names. Empty: the default user, no password.
    let users: [User]
    let certificates: TestCertificates?
    /// Where the append-only file lives when the data must survive a restart.
    private let dataDirectory: URL?
    private var process: Process?

    init(users: [User] = [], certificates: TestCertificates? = nil, persistent: Bool = false) throws {
        self.users = users
        self.certificates = certificates
        dataDirectory = persistent ? try makeTemporaryDirectory("redis-data") : nil
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

    /// The URL a host is given: `rediss://` with TLS, the first user's name and password with ACL.
    var url: String { url(as: users.first) }

    func url(as user: User?) -> String {
        let credentials = user.map { "\($0.name):\($0.password)@" } ?? ""
        return "\(certificates == nil ? "redis" : "rediss")://\(credentials)127.0.0.1:\(port)/0"
    }

    /// The URL as the host logs it: the password replaced.
    var redactedURL: String {
        let credentials = users.first.map { "\($0.name):***@" } ?? ""
        return "\(certificates == nil ? "redis" : "rediss")://\(credentials)127.0.0.1:\(port)/0"
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        // With every signal unblocked (see ``runWithDefaultSignals``): the test's threads block
        // SIGTERM, and a child inherits that, so ``stop()`` would wait forever.
        var arguments = ["python3", "-c", unblockSignalsAndExec, "redis-server", "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"]
        if let dataDirectory {
            arguments += ["--dir", dataDirectory.path, "--appendonly", "yes", "--appendfsync", "always"]
        } else {
            arguments += ["--appendonly", "no"]
        }
        if let certificates {
            arguments += ["--port", "0", "--tls-port", "\(port)", "--tls-cert-file", certificates.certificateFile.path,
                          "--tls-key-file", certificates.keyFile.path, "--tls-ca-cert-file", certificates.caFile.path, "--tls-auth-clients", "no"]
        } else {
            arguments += ["--port", "\(port)"]
        }
        if !users.isEmpty {
            // Not `default off`: Redis 7.0 replays a script's writes from the append-only file as
            // the default user, and with it off loses them at restart (docs/DEPLOYMENT.md).
            arguments += ["--user", "default", "on", ">\(UUID().uuidString)", "~*", "&*", "+@all"]
            for user in users { arguments += ["--user", user.name, "on", ">\(user.password)"] + user.rules }
        }
        process.arguments = arguments
        // Its log beside its data, when it has data: what to read when a restart lost something.
        if let dataDirectory {
            let log = dataDirectory.appending(path: "redis.log")
            if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? cli(["ping"]).output.contains("PONG")) == true { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw FixtureError(message: "redis-server did not start on port \(port) (is it installed, and built with TLS? scripts/install-test-tools installs it)")
    }

    /// Runs `redis-cli ARGS` against this server, as its first user, over TLS when it has it.
    func cli(_ arguments: [String]) throws -> CommandResult {
        var options = ["-p", "\(port)", "--no-auth-warning"]
        if let certificates { options += ["--tls", "--cacert", certificates.caFile.path] }
        if let user = users.first { options += ["--user", user.name, "--pass", user.password] }
        return try run("redis-cli", options + arguments)
    }

    /// Kills the server at once, as a crash or a network cut would.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        kill()
        if let dataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }
}
