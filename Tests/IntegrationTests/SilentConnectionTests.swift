import Foundation
import Testing

/// Clients that open connections and never send a request: the per-client connection limit and
/// the deadline for the TLS handshake and first request head, over real sockets on the HTTPS port.
@Suite(.serialized)
struct SilentConnectionTests {
    func wire(_ arguments: [String]) throws -> [String: Any] {
        let result = try run("python3", [Paths.fixtures.appending(path: "wire.py").path] + arguments)
        guard result.status == 0 else { throw FixtureError(message: "wire.py \(arguments.first ?? "") failed: \(result.combined)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    /// The defaults (`max_connections` 4096, `max_connections_per_client` 256,
    /// `request_head_timeout` 10 s): one address opening 5,000 connections that say nothing holds
    /// only its share, and a client on another address (127.0.0.2) is answered at once throughout.
    @Test func fiveThousandSilentConnectionsFromOneAddressDoNotLockOutAnotherClient() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[rate_limit]\nenabled = false\n") { _ in }
        let host = try HostProcess(site: site)
        let result = try wire(["silent", "\(host.port)", "5000", "6", "https"])
        #expect(result["opened"] as? Int == 5000, "\(result)")
        #expect(result["failed"] as? Int == 0, "\(result)")
        #expect((result["answered"] as? Int ?? 0) >= 30, "\(result)")
        let slowest = try #require(result["slowest_ms"] as? Double)
        #expect(slowest < 1000, "the normal client waited \(slowest) ms for an answer: \(result)")
        #expect(host.waitForOutput("refused a connection from 127.0.0.1: it already has 256 open ([limits] max_connections_per_client)"),
                "\(host.output.suffix(2000))")
    }

    /// A connection to the HTTPS port that never starts its TLS handshake is closed at
    /// `request_head_timeout`, counted in the metrics and logged.
    @Test func aConnectionThatNeverHandshakesIsClosedAtTheHeadTimeout() throws {
        let site = try HostProcess.makeSite(config: """
            [tls]
            enabled = true

            [limits]
            request_head_timeout = 1

            [metrics]
            auth_required = false
            """) { _ in }
        let host = try HostProcess(site: site)
        let result = try wire(["send", "\(host.port)", "", "6"])
        #expect(result["closed"] as? Bool == true, "\(result)")
        let seconds = try #require(result["seconds"] as? Double)
        #expect(seconds >= 0.9 && seconds < 3, "closed after \(seconds) s")
        #expect(host.waitForOutput("closing a connection from 127.0.0.1: no TLS handshake and request head within 1.0 s ([limits] request_head_timeout)"),
                "\(host.output.suffix(2000))")
        let metrics = try run("curl", ["-sS", "-k", "\(host.baseURL)/api/metrics"]).output
        #expect(metrics.contains("plughost_connections_timed_out_total{stage=\"tls_handshake\"} 1"), "\(metrics)")
    }

    /// The plain-HTTP redirect port (`[server] http_port`) shares the worker's descriptors, so a
    /// silent connection there is closed at `request_head_timeout` too (with 408), and redirects
    /// still work.
    @Test func aSilentConnectionToTheRedirectPortIsClosedAtTheHeadTimeout() throws {
        let httpPort = try freeLoopbackPort()
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[server]\nhttp_port = \(httpPort)\n\n[limits]\nrequest_head_timeout = 1\n") { _ in }
        let host = try HostProcess(site: site)
        #expect(host.scheme == "https")
        let result = try wire(["send", "\(httpPort)", "", "6"])
        #expect(result["status"] as? String == "HTTP/1.1 408 Request Timeout", "\(result)")
        #expect(result["closed"] as? Bool == true, "\(result)")
        let seconds = try #require(result["seconds"] as? Double)
        #expect(seconds >= 0.9 && seconds < 3, "closed after \(seconds) s")
        let request = Data("GET /x HTTP/1.1\r\nHost: a\r\n\r\n".utf8).map { String(format: "%02x", $0) }.joined()
        #expect(try wire(["send", "\(httpPort)", request, "2"])["status"] as? String == "HTTP/1.1 308 Permanent Redirect")
    }

    @Test func theRedirectPortHoldsEachAddressToThePerClientLimitToo() throws {
        let httpPort = try freeLoopbackPort()
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[server]\nhttp_port = \(httpPort)\n\n[limits]\nmax_connections_per_client = 3\n") { _ in }
        let host = try HostProcess(site: site)
        #expect(host.scheme == "https")
        #expect(try wire(["hold", "\(httpPort)", "5"])["closed"] as? Int == 2)
    }

    /// Past `max_connections_per_client` a connection is closed as soon as it is accepted, and
    /// counted; other addresses are not affected.
    @Test func pastThePerClientLimitAConnectionIsClosedAtOnceAndCounted() throws {
        let site = try HostProcess.makeSite(config: """
            [limits]
            max_connections_per_client = 3

            [metrics]
            auth_required = false
            """) { _ in }
        let host = try HostProcess(site: site)
        let result = try wire(["hold", "\(host.port)", "5"])
        #expect(result["closed"] as? Int == 2, "\(result)")
        let metrics = try HTTP.get("\(host.baseURL)/api/metrics").text
        #expect(metrics.contains("plughost_connections_refused_total{limit=\"max_connections_per_client\"} 2"), "\(metrics)")
    }
}
