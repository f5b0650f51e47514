import Foundation
import Testing

/// The fast path's answers leave at the end of the event loop's batch of reads
/// (`EndOfTickFlush`: on an HTTP/1.1 connection by the fast path, on an HTTP/2 connection by
/// `BatchedFlush` below NIOHTTP2), not each as it is made. A client that sends its requests and
/// closes its side of the connection at once — plain, or through TLS with or without
/// `close_notify` — must still get every answer, each logged as delivered: nothing may
/// wait for a flush that the connection's end overtakes.
@Suite struct EndOfTickFlushTests {
    /// Pipelined requests per connection, and connections per way of leaving.
    static let requestsPerConnection = 5
    static let connections = 8

    /// Sends the requests, closes its side as `mode` says, and prints how many whole `200`
    /// answers it read on each connection (it stops reading once it has them all, or at the
    /// server's end of the connection: a TLS server need not close after a ragged end).
    static let client = #"""
        import socket, ssl, sys, time
        port, mode, requests, connections, expected = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode("latin-1"), int(sys.argv[4]), int(sys.argv[5])

        def whole_answers(data):
            count = 0
            while b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(rest) < length:
                    break
                if head.startswith(b"HTTP/1.1 200 "):
                    count += 1
                data = rest[length:]
            return count

        # Bounded: a server that never sends the answers fails the test, it does not hang it.
        deadline = time.monotonic() + 20
        counts = []
        for _ in range(connections):
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            data = b""
            if mode in ("plain", "keep-open"):
                raw.sendall(requests)
                if mode == "plain":
                    raw.shutdown(socket.SHUT_WR)
                while whole_answers(data) < expected and time.monotonic() < deadline and (chunk := raw.recv(65536)):
                    data += chunk
            else:
                # TLS through memory BIOs: close_notify sent, the answers still read.
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = context.wrap_bio(incoming, outgoing)
                def send():
                    if outgoing.pending:
                        raw.sendall(outgoing.read())
                while True:
                    try:
                        tls.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        send()
                        chunk = raw.recv(65536)
                        if not chunk:
                            raise SystemExit("the server closed during the handshake")
                        incoming.write(chunk)
                send()
                tls.write(requests)
                if mode == "tls-close-notify":
                    try:
                        tls.unwrap()
                    except ssl.SSLWantReadError:
                        pass
                send()
                raw.shutdown(socket.SHUT_WR)
                while whole_answers(data) < expected and time.monotonic() < deadline:
                    chunk = raw.recv(65536)
                    if chunk:
                        incoming.write(chunk)
                    else:
                        incoming.write_eof()
                    try:
                        # An empty read is the end (a ragged one included): never loop on it.
                        while piece := tls.read(65536):
                            data += piece
                    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        pass
                    if not chunk:
                        break
            raw.close()
            counts.append(whole_answers(data))
        print(" ".join(map(str, counts)))
        """#

    /// `keep-open`: the client closes nothing, so only the end of the batch sends the answers.
    @Test(arguments: ["keep-open", "plain", "tls-fin", "tls-close-notify"])
    func everyAnswerLeavesWhetherTheClientKeepsItsConnectionOrClosesItsSide(mode: String) throws {
        let site = try HostProcess.makeSite(config: """
            [tls]
            enabled = \(mode.hasPrefix("tls"))

            [logging]
            file = "logs/server.log"
            """) { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let host = try HostProcess(site: site)
        let tag = UUID().uuidString.prefix(8)
        let target = "/api/fixture/config?leaving=\(tag)"
        let requests = String(repeating: RawHTTP.get(target), count: Self.requestsPerConnection)
        let result = try run("python3", ["-c", Self.client, "\(host.port)", mode, requests, "\(Self.connections)", "\(Self.requestsPerConnection)"])
        #expect(result.status == 0, "\(result.combined)")
        let expected = Array(repeating: "\(Self.requestsPerConnection)", count: Self.connections).joined(separator: " ")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "answers read per connection: \(result.combined)")

        // Each answer logged as the client got it: delivered, none aborted.
        let total = Self.requestsPerConnection * Self.connections
        let responseLines = { () -> [Substring] in
            let text = (try? String(contentsOf: site.appending(path: "logs/server.log"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("response GET \(target) ") }
        }
        let deadline = Date().addingTimeInterval(5)
        while responseLines().count < total, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let lines = responseLines()
        #expect(lines.count == total, "\(lines.count) response lines, \(total) requests")
        #expect(lines.allSatisfy { $0.hasSuffix("status=200") }, "\(lines.filter { !$0.hasSuffix("status=200") })")
    }

    /// HTTP/2: streams sent in one write on a connection the client keeps. (A client that also
    /// closes its side in the same packet can get no answer, with or without `BatchedFlush`: the
    /// streams are gone before their answers are made. Known, see docs/PERFORMANCE.md; the
    /// fixture's `fin` mode reproduces it.)
    @Test(arguments: ["keep-open"])
    func everyStreamIsAnsweredWhetherTheClientKeepsItsConnectionOrClosesItsSide(mode: String) throws {
        let site = try HostProcess.makeSite(config: """
            [tls]
            enabled = true

            [logging]
            file = "logs/server.log"
            """) { plugins in
            try FixturePlugins.build(name: "fixture", into: plugins)
        }
        let host = try HostProcess(site: site)
        let target = "/api/fixture/config?h2=\(UUID().uuidString.prefix(8))"
        let streams = 20
        for _ in 0..<3 {
            let result = try run("python3", [Paths.fixtures.appending(path: "h2_leave.py").path, "\(host.port)", target, "\(streams)", mode])
            #expect(result.status == 0 && result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(streams)",
                    "streams answered with 200: \(result.combined)")
        }
        let responseLines = { () -> [Substring] in
            let text = (try? String(contentsOf: site.appending(path: "logs/server.log"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("response GET \(target) ") }
        }
        let deadline = Date().addingTimeInterval(5)
        while responseLines().count < 3 * streams, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let lines = responseLines()
        #expect(lines.count == 3 * streams && lines.allSatisfy { $0.hasSuffix("status=200") }, "\(lines)")
    }
}
