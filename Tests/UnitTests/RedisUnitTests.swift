import Foundation
@testable import PlugHostConfig
@testable import PlugHostKeys
import PlugHostRedis
import Testing

/// Redis URLs as deployed (ACL user, TLS) and the key records kept in Redis.
@Suite struct RedisUnitTests {
    @Test func aclUsersAndTLSAreReadFromTheURL() {
        let url = RedisURL("rediss://fleet:s3cret@redis.internal:6380/4")
        #expect(url?.tls == true)
        #expect(url?.user == "fleet")
        #expect(url?.password == "s3cret")
        #expect(url?.host == "redis.internal")
        #expect(url?.port == 6380)
        #expect(url?.database == 4)
        #expect(url?.redacted == "rediss://fleet:***@redis.internal:6380/4")
        #expect(RedisURL("redis://:pw@h:1/0")?.redacted == "redis://:***@h:1/0", "a password alone is the default user's")
        #expect(RedisURL("redis://:pw@h:1/0")?.user == nil)
        #expect(RedisURL("redis://h")?.redacted == "redis://h:6379/0")
        #expect(RedisURL("rediss://[::1]:7000/0")?.host == "::1")
        #expect(RedisURL("rediss://[::1]:7000/0")?.redacted == "rediss://[::1]:7000/0")
        #expect(RedisURL("redis://u:p%40ss@h/0")?.password == "p@ss", "percent-encoded characters are decoded")
    }

    @Test func badURLsAreRefused() {
        #expect(RedisURL("redis://user@h/0") == nil, "a user without a password cannot authenticate")
        #expect(RedisURL("redis://h/0?ssl=true") == nil, "no query parameters: none is read")
        #expect(RedisURL("redis://u:p%0D%0AFLUSHALL@h/0") == nil, "no CR or LF in a credential")
        #expect(RedisURL("redis://u:p%00@h/0") == nil)
        #expect(RedisURL("rediss://h:0/0") == nil)
        #expect(RedisURL("redis:///0") == nil)
        #expect(RedisURL("file") == nil)
    }

    @Test func theStoreSettingIsTheFileOrARedisURL() throws {
        let base = URL(filePath: "/srv/site")
        let file = try ConfigLoader.parse("", file: "host.toml", baseDirectory: base)
        #expect(file.auth.store == "file" && file.auth.redisStore == nil)
        let redis = try ConfigLoader.parse("[auth]\nstore = \"rediss://a:b@r:6380/1\"\n[redis]\nca_file = \"tls/ca.pem\"\n", file: "host.toml", baseDirectory: base)
        #expect(redis.auth.redisStore?.tls == true)
        #expect(redis.redisCAFile?.path == "/srv/site/tls/ca.pem", "relative to host.toml")
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[auth]\nstore = \"keys.toml\"\n", file: "host.toml", baseDirectory: base) }
        do {
            _ = try ConfigLoader.parse("[auth]\nstore = \"redis://u:topsecret@h:99999/0\"\n", file: "host.toml", baseDirectory: base)
            Issue.record("a port above 65535 was accepted")
        } catch {
            #expect(!"\(error)".contains("topsecret"), "the value, which may hold a password, is not echoed: \(error)")
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[redis]\ncafile = \"x\"\n", file: "host.toml", baseDirectory: base) }
    }

    /// After a failed connection attempt the client does not try again before its backoff delay:
    /// commands in between fail at once. The attempts are counted where they arrive, a listening
    /// socket whose backlog is read after each step. (A delay of a minute here, so
    /// that no pause of a loaded machine between two commands can outlast it.)
    @Test func noAttemptIsMadeWithinTheBackoffDelay() async throws {
        let (listener, port) = try Self.listeningLoopbackSocket()
        defer { close(listener) }
        let client = RESPClient(url: RedisURL("redis://127.0.0.1:\(port)/0")!, caFile: nil, timeout: 2, purpose: "[auth] store",
                                backoff: .init(first: .seconds(60), longest: .seconds(60)))
        defer { client.close() }
        // The kernel completes the connection into the backlog; nobody answers PING, so the
        // attempt fails at the client's deadline and is counted afterwards, whenever this runs.
        // Taken before the attempt, so that `elapsed` is never less than the time since the
        // backoff began (the test may resume long after the attempt failed).
        let failedAt = ContinuousClock.now
        let firstMessage = await Self.failure(client)
        #expect(firstMessage.contains("Redis at redis://127.0.0.1:\(port)/0 ([auth] store)"), "\(firstMessage)")
        #expect(Self.acceptAndClose(listener) == 1, "one attempt")
        var messages: [String] = []
        for _ in 0..<5 { messages.append(await Self.failure(client)) }
        let elapsed = ContinuousClock.now - failedAt
        try await Task.sleep(for: .milliseconds(100))
        // Every command that did not try says when the next attempt comes, and exactly the others
        // reached the listener. Within the minute, none may try; a test process starved of its
        // threads for longer (a full parallel run once took two minutes here) may see one, which
        // is then counted and not taken for a failure of the backoff.
        let attempted = messages.filter { !$0.contains("next attempt in") }.count
        #expect(Self.acceptAndClose(listener) == attempted, "\(messages)")
        if elapsed < .seconds(60) {
            #expect(attempted == 0, "no new attempt within the backoff: \(messages)")
        }
    }

    /// A non-blocking listening socket on a free loopback port.
    static func listeningLoopbackSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(listening)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Accepts every waiting connection and closes it at once; returns how many there were.
    static func acceptAndClose(_ listener: Int32) -> Int {
        var count = 0
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return count }
            close(connection)
            count += 1
        }
    }

    /// Each failed attempt doubles the delay, up to the longest; the service's is 50 ms to 1 s.
    @Test func theBackoffDelayDoublesUpToItsLongest() async throws {
        #expect(RESPClient.Backoff.standard.first == .milliseconds(50) && RESPClient.Backoff.standard.longest == .seconds(1))
        let port = try Self.closedLoopbackPort()
        let client = RESPClient(url: RedisURL("redis://127.0.0.1:\(port)/0")!, caFile: nil, timeout: 1, purpose: "[auth] store",
                                backoff: .init(first: .milliseconds(10), longest: .milliseconds(80)))
        defer { client.close() }
        #expect(client.retryDelay == nil)
        var delays: [Int64] = []
        for _ in 0..<6 {
            // Past the current delay, so that the next command makes an attempt (a longer pause
            // changes nothing: the delay doubles per failed attempt, not per unit of time).
            try await Task.sleep(for: .milliseconds(Int(client.retryDelay.map { $0.nanoseconds / 1_000_000 } ?? 0) + 5))
            let message = await Self.failure(client)
            #expect(!message.contains("next attempt"), "an attempt was made: \(message)")
            delays.append((client.retryDelay?.nanoseconds ?? 0) / 1_000_000)
        }
        #expect(delays == [10, 20, 40, 80, 80, 80])
    }

    private static func failure(_ client: RESPClient) async -> String {
        do {
            _ = try await client.send(["PING"])
            return "answered"
        } catch {
            return "\(error)"
        }
    }

    /// A loopback port nothing listens on (bound, then closed: connections to it are refused).
    static func closedLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aKeyRecordRoundTripsAndABadOneIsLeftOut() throws {
        let key = StoredKey(name: "ci", prefix: "ph_Ab3dE9xQ", sha256: Array(repeating: 7, count: 32),
                            created: Date(timeIntervalSince1970: 1_800_000_000), expires: Date(timeIntervalSince1970: 1_900_000_000), scopes: ["admin"])
        let text = KeyRecordJSON.encode(key)
        #expect(KeyRecordJSON.decode(name: "ci", text) == key)
        #expect(!text.contains("ci"), "the name is the hash field, not part of the value")
        #expect(KeyRecordJSON.decode(name: "ci", "{}") == nil)
        #expect(KeyRecordJSON.decode(name: "ci", text.replacingOccurrences(of: "0707", with: "zz07")) == nil, "a digest that is not hex")
        #expect(KeyRecordJSON.decode(name: "ci", "not json") == nil)
    }
}
