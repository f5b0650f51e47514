import Foundation

/// Debian's nginx on a loopback port, in front of hosts, running the repository's
/// `deploy/nginx/plughost.conf` with only its addresses and certificate replaced.
final class Nginx {
    let port: Int
    let directory: URL
    /// One line per request: `$msec $request_time "$upstream_addr" $status`.
    var accessLog: URL { directory.appending(path: "access.log") }
    private let process: RunningCommand

    /// The repository's config, with the listen address, the certificate and the upstream servers
    /// replaced. Each replacement must match what the file says, so that an edit to the file that
    /// the test no longer understands fails here instead of testing something else.
    static func fleetConfig(upstreams: [Int], listenPort: Int, certificates: TestCertificates) throws -> String {
        var text = try String(contentsOf: Paths.repository.appending(path: "deploy/nginx/plughost.conf"), encoding: .utf8)
        func replace(_ pattern: String, _ replacement: String, count: Int) throws {
            let expression = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            let matches = expression.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
            guard matches == count else { throw FixtureError(message: "deploy/nginx/plughost.conf: expected \(count) line(s) matching \(pattern), found \(matches)") }
            text = expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: replacement)
        }
        try replace(#"^    listen 443 ssl http2;$"#, "    listen 127.0.0.1:\(listenPort) ssl http2;", count: 1)
        try replace(#"^    ssl_certificate \S+;$"#, "    ssl_certificate \(certificates.certificateFile.path);", count: 1)
        try replace(#"^    ssl_certificate_key \S+;$"#, "    ssl_certificate_key \(certificates.keyFile.path);", count: 1)
        try replace(#"^    server 10\.0\.0\.1\d:8080 (.*)$"#, "    server UPSTREAM $1", count: upstreams.count)
        for port in upstreams {
            guard let range = text.range(of: "server UPSTREAM ") else { break }
            text.replaceSubrange(range, with: "server 127.0.0.1:\(port) ")
        }
        return text
    }

    /// Starts nginx with the fleet config in front of the hosts on `upstreams`.
    init(upstreams: [Int], certificates: TestCertificates) throws {
        port = try freeLoopbackPort()
        directory = try makeTemporaryDirectory("nginx")
        // nginx's workers run as nobody when started by root: let them write their temp files.
        chmod(directory.path, 0o777)
        let site = try Self.fleetConfig(upstreams: upstreams, listenPort: port, certificates: certificates)
        try site.write(to: directory.appending(path: "plughost.conf"), atomically: true, encoding: .utf8)
        let path = directory.path
        let main = """
            daemon off;
            worker_processes 1;
            pid \(path)/nginx.pid;
            error_log \(path)/error.log warn;
            events { worker_connections 512; }
            http {
                log_format fleet '$msec $request_time "$upstream_addr" $status';
                access_log \(path)/access.log fleet;
                client_body_temp_path \(path)/client_body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                include \(path)/plughost.conf;
            }

            """
        try main.write(to: directory.appending(path: "nginx.conf"), atomically: true, encoding: .utf8)
        guard FileManager.default.fileExists(atPath: "/usr/sbin/nginx") else {
            throw FixtureError(message: "nginx is not installed (/usr/sbin/nginx); scripts/install-test-tools installs nginx-light")
        }
        process = try RunningCommand.withDefaultSignals("/usr/sbin/nginx", ["-p", path, "-c", "\(path)/nginx.conf"])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? run("curl", ["-s", "-o", "/dev/null", "--cacert", certificates.caFile.path, "https://127.0.0.1:\(port)/api/health"]))?.status == 0 { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let errors = (try? String(contentsOf: directory.appending(path: "error.log"), encoding: .utf8)) ?? ""
        process.interrupt()
        throw FixtureError(message: "nginx did not start on port \(port): \(errors)")
    }

    /// The access log's lines from byte `offset` on, parsed.
    func requests(from offset: Int = 0) -> [LoggedRequest] {
        guard let data = try? Data(contentsOf: accessLog), offset <= data.count else { return [] }
        return String(decoding: data[offset...], as: UTF8.self).split(separator: "\n").compactMap(LoggedRequest.init)
    }

    /// How long the access log is now: where the next phase's lines start.
    var accessLogSize: Int { (try? Data(contentsOf: accessLog).count) ?? 0 }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        _ = process.wait()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One line of nginx's access log in the fleet format.
struct LoggedRequest {
    let end: Double
    let start: Double
    /// Every host nginx tried, in order (`127.0.0.1:PORT`).
    let upstreams: [String]
    let status: Int

    init?(_ line: Substring) {
        let parts = line.split(separator: "\"")
        guard parts.count == 3 else { return nil }
        let times = parts[0].split(separator: " ")
        guard times.count == 2, let end = Double(times[0]), let duration = Double(times[1]),
              let status = Int(parts[2].trimmingCharacters(in: .whitespaces)) else { return nil }
        self.end = end
        start = end - duration
        upstreams = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "-" }
        self.status = status
    }
}
