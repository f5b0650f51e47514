import Foundation
import Testing

/// Three `plughost serve` behind Debian's nginx (the repository's deploy/nginx/plughost.conf),
/// sharing API keys and rate-limit budgets through one redis-server with TLS and an ACL user,
/// everything started and stopped here. Each figure of docs/DEPLOYMENT.md's fleet section is
/// asserted under real concurrent load through nginx.
@Suite(.serialized) struct FleetTests {
    static let budgetRoute = "/api/whoami"
    /// 100 per minute for each key on the budget route, across the fleet.
    static let budget = 100

    @Test(.timeLimit(.minutes(5))) func aFleetBehindNginxSharesKeysAndBudgetsAndLosesNothing() throws {
        let fleet = try Fleet()
        defer { fleet.stop() }

        // `plughost check` reaches both stores through TLS and the ACL user, and shows no secret.
        let check = try fleet.hosts[0].command(["check"])
        #expect(check.status == 0, "\(check.combined)")
        #expect(check.output.contains("api keys: ok (3 in \(fleet.redis.redactedURL))"), "\(check.combined)")
        #expect(check.output.contains("rate-limit store: ok (\(fleet.redis.redactedURL))"), "\(check.combined)")
        #expect(!check.combined.contains(Fleet.redisPassword))

        // 1. A budget of 100/minute is 100 across the fleet, whichever host nginx picks.
        var mark = fleet.nginx.accessLogSize
        let budget = try fleet.load(Self.budgetRoute, key: fleet.keys["budget"]!, threads: 16, requests: 150)
        #expect(budget.count(200) == Self.budget, "statuses: \(budget.statuses)")
        #expect(budget.count(429) == 150 - Self.budget, "statuses: \(budget.statuses)")
        let spread = Dictionary(grouping: fleet.nginx.requests(from: mark).compactMap(\.upstreams.last)) { $0 }.mapValues(\.count)
        print("fleet: budget of \(Self.budget): \(budget.statuses), by host: \(spread)")
        #expect(spread.count == 3, "nginx spread the budget's requests over every host: \(spread)")

        // 2. A key made on host 1 works on host 3 within 1 s; revoked, it is refused by all within 1 s.
        let made = try fleet.hosts[0].command(["keys", "new", "--name", "roaming"])
        let roaming = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(made.status == 0, "\(made.combined)")
        let accepted = try fleet.waitUntil(host: 2, key: roaming, answers: 200)
        print("fleet: key made on host 1 accepted by host 3 after \(accepted.map { "\($0) s" } ?? "never")")
        #expect(accepted != nil && accepted! <= 1.0, "host 3 accepted the key made on host 1 after \(accepted.map { "\($0) s" } ?? "never")")
        let revoked = try fleet.hosts[0].command(["keys", "revoke", "roaming"])
        #expect(revoked.status == 0, "\(revoked.combined)")
        for index in 0..<3 {
            let refused = try fleet.waitUntil(host: index, key: roaming, answers: 401)
            #expect(refused != nil && refused! <= 1.0, "host \(index + 1) refused the revoked key after \(refused.map { "\($0) s" } ?? "never")")
        }

        // 3. One host killed (SIGKILL, supervisor and workers) under load: nginx routes around it,
        //    and no more requests fail than were in flight on it.
        mark = fleet.nginx.accessLogSize
        let killed = fleet.hosts[1]
        let killing = try fleet.startLoad("/api/fixture/sleep?ms=100", threads: 12)
        Thread.sleep(forTimeInterval: 1.5)
        let killedAt = Date().timeIntervalSince1970
        killed.killEveryProcess()
        Thread.sleep(forTimeInterval: 2.5)
        let underKill = try killing.finish()
        let victim = "127.0.0.1:\(killed.port)"
        let logged = fleet.nginx.requests(from: mark)
        let inFlightOnVictim = logged.filter { $0.upstreams.first == victim && $0.start <= killedAt && $0.end >= killedAt }.count
        let failed = underKill.requests - underKill.count(200)
        #expect(underKill.requests > 50, "load ran: \(underKill.statuses)")
        #expect(inFlightOnVictim >= 1, "requests were in flight on the killed host")
        #expect(failed <= inFlightOnVictim, "failed \(failed) of \(underKill.requests) (\(underKill.statuses)); in flight on the killed host: \(inFlightOnVictim)")
        print("fleet: SIGKILL under load: \(underKill); in flight on the killed host: \(inFlightOnVictim); failed: \(failed)")
        let servedByVictimAfter = logged.filter { $0.upstreams.last == victim && $0.status == 200 && $0.start > killedAt + 0.05 }
        #expect(servedByVictimAfter.isEmpty, "nothing is answered by a dead host")
        #expect(logged.contains { $0.start > killedAt + 0.5 && $0.status == 200 }, "the others went on serving")

        // 4. The killed host comes back on its port; a rolling `plughost reload` of all three under
        //    load fails no request.
        try fleet.restartHost(1)
        let reloading = try fleet.startLoad("/api/fixture/sleep?ms=20", threads: 8)
        Thread.sleep(forTimeInterval: 0.5)
        for host in fleet.hosts {
            let reload = try host.command(["reload"])
            #expect(reload.status == 0, "reload: \(reload.combined)")
            Thread.sleep(forTimeInterval: 0.3)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let underReload = try reloading.finish()
        print("fleet: rolling reload under load: \(underReload)")
        #expect(underReload.requests > 50, "load ran: \(underReload.statuses)")
        #expect(underReload.count(200) == underReload.requests, "0 failed during the rolling reload: \(underReload.statuses)")

        // 5. Redis stopped and started again under load (one key, over its budget of 100 before
        //    the outage): on_store_error = "allow" on every host while it is away (every request
        //    passes, with the keys each host saw last; never a 503), each outage logged once per
        //    host; once Redis is back, limits are enforced again.
        mark = fleet.nginx.accessLogSize
        let outageLoad = try fleet.startLoad(Self.budgetRoute, key: fleet.keys["outage"]!, threads: 8)
        // Until the key's budget is spent (however slow the machine): its 429s come from Redis.
        let spendingDeadline = Date().addingTimeInterval(20)
        while Date() < spendingDeadline, !fleet.nginx.requests(from: mark).contains(where: { $0.status == 429 }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let stopping = Date().timeIntervalSince1970
        // Killed, as a crash or a cut cable would stop it (its append-only file is written at
        // every change, so nothing is lost); a SIGTERM'd Redis answers some commands while it
        // shuts down, and the hosts would see the outage begin twice.
        fleet.redis.kill()
        let stoppedAt = Date().timeIntervalSince1970
        // Every host's next key poll (within reload_interval, 0.5 s) finds the store gone.
        for (index, host) in fleet.hosts.enumerated() {
            #expect(host.waitForOutput("API key store \(fleet.redis.redactedURL) cannot be reached", seconds: 3), "host \(index + 1)")
        }
        Thread.sleep(forTimeInterval: 0.5)
        let restartedAt = Date().timeIntervalSince1970
        try fleet.redis.start()
        // Each host's client retries at most 1 s after its last failed attempt (the backoff's ceiling).
        Thread.sleep(forTimeInterval: 1.5)
        let underOutage = try outageLoad.finish()
        print("fleet: Redis stopped and started under load: \(underOutage)")
        #expect(underOutage.failed == 0 && underOutage.count(503) == 0, "every request answered, none refused for the store: \(underOutage.statuses)")
        #expect(underOutage.count(200) + underOutage.count(429) == underOutage.requests, "\(underOutage.statuses)")
        let logged5 = fleet.nginx.requests(from: mark)
        #expect(logged5.contains { $0.end < stopping && $0.status == 429 }, "the budget was spent before the outage")
        let inOutage = logged5.filter { $0.start > stoppedAt && $0.end < restartedAt }
        let outageStatuses = Dictionary(grouping: inOutage, by: \.status).mapValues(\.count)
        #expect(inOutage.count > 20, "requests while Redis was away: \(outageStatuses)")
        #expect(inOutage.allSatisfy { $0.status == 200 }, "while Redis is away every request passes: \(outageStatuses)")
        let servedInOutage = Set(inOutage.compactMap(\.upstreams.last))
        #expect(servedInOutage.count == 3, "every host served during the outage: \(servedInOutage)")
        #expect(logged5.contains { $0.start > restartedAt + 1.2 && $0.status == 429 }, "limits enforced again once Redis is back")
        let after = try fleet.load(Self.budgetRoute, key: fleet.keys["after"]!, threads: 16, requests: 150)
        #expect(after.count(200) == Self.budget, "limits enforced again once Redis is back: \(after.statuses)")
        #expect(after.count(429) == 150 - Self.budget, "statuses: \(after.statuses)")
        for (index, host) in fleet.hosts.enumerated() {
            let output = host.output
            #expect(output.components(separatedBy: "rate-limit store \(fleet.redis.redactedURL) failed").count - 1 == 1,
                    "host \(index + 1) logged the rate-limit store's outage once: \(output.split(separator: "\n").filter { $0.contains("rate-limit store") })")
            #expect(output.contains("rate-limit store \(fleet.redis.redactedURL) is reachable again"), "host \(index + 1) logged the recovery")
            #expect(output.components(separatedBy: "API key store \(fleet.redis.redactedURL) cannot be reached").count - 1 == 1,
                    "host \(index + 1) logged the key store's outage once")
            #expect(!output.contains(Fleet.redisPassword), "host \(index + 1) never logs the Redis password")
        }

        // Nothing in Redis is a key's secret: every key and value scanned.
        let dump = try fleet.redis.everything()
        #expect(try fleet.redis.cli(["hexists", "plughost:keys", "roaming"]).output.hasPrefix("0"), "the revoked key's record is gone")
        let everyKey = fleet.keys.merging(["roaming": roaming]) { $1 }
        for (name, key) in everyKey {
            #expect(!dump.contains(key), "the key '\(name)' is in Redis")
            #expect(!dump.contains(String(key.dropFirst(12))), "the secret of '\(name)' is in Redis")
        }
        #expect(dump.contains("budget"), "the scan saw the key records")
    }
}

/// The parts of the fleet test: certificates, Redis, three hosts, nginx, and the load.
final class Fleet {
    static let redisUser = "plughost"
    static let redisPassword = "fleet-secret-Redis-passw0rd"
    /// The ACL rules docs/DEPLOYMENT.md gives the hosts' user: what both stores need, no more.
    static let redisRules = ["~plughost:*", "+@read", "+@write", "+@scripting", "+ping", "+select", "+time", "-@dangerous"]

    let directory: URL
    let certificates: TestCertificates
    let redis: RedisServer
    private(set) var hosts: [HostProcess] = []
    /// Hosts killed and replaced: kept until the end, because a HostProcess removes its site when freed.
    private var replaced: [HostProcess] = []
    private var sites: [URL] = []
    private var ports: [Int] = []
    let nginx: Nginx
    /// Keys made before the hosts start, by name.
    let keys: [String: String]

    init() throws {
        directory = try makeTemporaryDirectory("fleet")
        certificates = try TestCertificates(in: directory.appending(path: "tls"))
        redis = try RedisServer(users: [.init(name: Self.redisUser, password: Self.redisPassword, rules: Self.redisRules)], certificates: certificates, persistent: true)
        let plugins = directory.appending(path: "plugins-built")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let fixture = try FixturePlugins.build(name: "fixture", into: plugins)
        var sites: [URL] = []
        for _ in 0..<3 {
            sites.append(try HostProcess.makeSite(config: Self.hostConfig(redis: redis.url, caFile: certificates.caFile)) { directory in
                try FixturePlugins.installExample(into: directory)
                try FileManager.default.copyItem(at: fixture, to: directory.appending(path: fixture.lastPathComponent))
            })
        }
        self.sites = sites
        var keys: [String: String] = [:]
        for name in ["budget", "outage", "after"] {
            keys[name] = try SecurityTests.newKey(["--name", name], config: sites[0].appending(path: "host.toml").path)
        }
        self.keys = keys
        ports = try (0..<3).map { _ in try freeLoopbackPort() }
        for index in 0..<3 {
            hosts.append(try HostProcess(site: sites[index], port: ports[index]))
        }
        nginx = try Nginx(upstreams: ports, certificates: certificates)
    }

    static func hostConfig(redis: String, caFile: URL) -> String {
        """
        [server]
        workers = 1
        shutdown_grace = 5

        [auth]
        store = "\(redis)"
        # Half the default: the 1 s figure with room for a loaded CI machine (docs/DEPLOYMENT.md).
        reload_interval = 0.25

        [redis]
        ca_file = "\(caFile.path)"

        [rate_limit]
        rate = "100000/minute"
        key = "api_key_or_ip"
        store = "\(redis)"
        on_store_error = "allow"

        [rate_limit.routes]
        "GET \(FleetTests.budgetRoute)" = "\(FleetTests.budget)/minute"

        [logging]
        file = ""
        trusted_proxies = ["127.0.0.1"]

        """
    }

    /// Starts host `index` again on its port, after it was killed.
    func restartHost(_ index: Int) throws {
        replaced.append(hosts[index])
        hosts[index] = try HostProcess(site: sites[index], port: ports[index])
    }

    /// Seconds until host `index` answers `key` with `status` on `/api/login` (which needs a key,
    /// and spends the default budget, not the budget route's), polled directly, not through
    /// nginx; nil if not within 3 s.
    func waitUntil(host index: Int, key: String, answers status: Int) throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < 3 {
            if try HTTP.request("GET", "\(hosts[index].baseURL)/api/login", headers: ["X-API-Key": key]).status == status {
                return Date().timeIntervalSince(start)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// Load through nginx (wire.py's counting keep-alive clients, over HTTPS) that runs until
    /// ``RunningLoad/finish()``, `requests` were sent, or 60 s passed.
    func startLoad(_ path: String, key: String? = nil, threads: Int, requests: Int? = nil) throws -> RunningLoad {
        let stopFile = directory.appending(path: "stop-\(UUID().uuidString)")
        var arguments = [Paths.fixtures.appending(path: "wire.py").path, "load", "\(nginx.port)", path, "\(threads)", "60", stopFile.path,
                         "--cafile", certificates.caFile.path]
        if let key { arguments += ["--header", "X-API-Key:\(key)"] }
        if let requests { arguments += ["--max", "\(requests)"] }
        return RunningLoad(command: try RunningCommand("python3", arguments), stopFile: stopFile)
    }

    /// `requests` requests through nginx from `threads` threads at once.
    func load(_ path: String, key: String, threads: Int, requests: Int) throws -> LoadResult {
        try startLoad(path, key: key, threads: threads, requests: requests).wait()
    }

    func stop() {
        nginx.stop()
        for host in hosts + replaced { host.stop() }
        redis.kill()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A load started in the background.
struct RunningLoad {
    let command: RunningCommand
    let stopFile: URL

    /// Tells the load to stop, and waits for its result.
    func finish() throws -> LoadResult {
        _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
        return try wait()
    }

    func wait() throws -> LoadResult {
        try SupervisorTests.counted(command)
    }
}

extension RedisServer {
    /// Every key in the server with its value, as text: for proving what is not in it.
    func everything() throws -> String {
        var dump = ""
        let keys = try cli(["--scan"]).output.split(separator: "\n").map(String.init)
        for key in keys {
            let type = try cli(["type", key]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let value: CommandResult = switch type {
            case "string": try cli(["get", key])
            case "hash": try cli(["hgetall", key])
            case "zset": try cli(["zrange", key, "0", "-1", "withscores"])
            case "set": try cli(["smembers", key])
            case "list": try cli(["lrange", key, "0", "-1"])
            default: try cli(["dump", key])
            }
            dump += "\(key) (\(type)):\n\(value.output)\n"
        }
        return dump
    }
}
