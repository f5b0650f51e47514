import Foundation
import Testing

/// A Redis key store that is not what it claims: a server that accepts and closes at once, or
/// answers a TLS client with bytes that are not TLS. `plughost check` says so and ends, every
/// time: a connection that ended before its first commands were written left them waiting for
/// replies that never came, and `check` hung (seen once in a full run against a server whose
/// certificate the client refused).
@Suite struct RedisHostileServerTests {
    /// Accepts connections and, per `mode`, closes each at once (`close`) or sends a line of
    /// plain text first (`text`); prints its port; ends after 60 s.
    static let server = """
        import socket, sys, threading, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0)); s.listen(64)
        print(s.getsockname()[1], flush=True)
        def serve():
            while True:
                c, _ = s.accept()
                if sys.argv[1] == "text":
                    c.sendall(b"-ERR this is not TLS\\r\\n")
                c.close()
        threading.Thread(target=serve, daemon=True).start()
        time.sleep(60)
        """

    @Test(arguments: ["close", "text"])
    func checkEndsWithAClearErrorWhenTheServerIsNotRedisOverTLS(mode: String) throws {
        let server = try RunningCommand("python3", ["-c", Self.server, mode])
        defer { server.stop() }
        let port = try #require(server.waitForFirstLine(seconds: 10).flatMap { Int($0) }, "the fake server did not start")
        let site = try HostProcess.makeSite(config: "[auth]\nstore = \"rediss://127.0.0.1:\(port)/0\"\n") { _ in }
        defer { try? FileManager.default.removeItem(at: site) }
        for attempt in 1...10 {
            let result = try run("timeout", ["20", Paths.plughost.path, "check", "--config", site.appending(path: "host.toml").path])
            #expect(result.status == 2, "attempt \(attempt): \(result.combined)")
            #expect(result.error.contains("key store error (rediss://127.0.0.1:\(port)/0)"), "attempt \(attempt): \(result.combined)")
        }
    }
}
