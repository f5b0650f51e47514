import Foundation
import Testing

/// The response line says what the client got, also when the answer does not leave with its
/// flush: answers beyond what the socket takes at once (pipelined requests of a client that does
/// not read) are logged `status=200` once their last byte has gone to the socket, and
/// `status=aborted` when the client leaves before (`ResponseDelivery` settles such lines through
/// `SocketDrainProbe`).
@Suite struct SlowReaderDeliveryTests {
    let host: HostProcess
    let path = "/slow.bin"

    init() throws {
        // Small enough for the static cache: written at once, head, body and end, then flushed.
        let site = try HostProcess.makeStaticSite(["slow.bin": Data(repeating: 0x61, count: 60_000)])
        host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)\(path)").body.count == 60_000)
    }

    /// Connects with a small receive buffer, asks for `target` `count` times in one write, waits
    /// `pause` seconds without reading, then reads every answer (`read`) or closes at once.
    /// Returns the body bytes read.
    private func slowClient(_ target: String, count: Int, pause: Double, read: Bool) throws -> Int {
        let script = """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            s.connect(("127.0.0.1", int(sys.argv[1])))
            s.sendall(("GET " + sys.argv[2] + " HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n").encode() * int(sys.argv[5]))
            time.sleep(float(sys.argv[3]))
            got = 0
            if sys.argv[4] == "read":
                s.settimeout(10)
                data = b""
                for _ in range(int(sys.argv[5])):
                    while b"\\r\\n\\r\\n" not in data: data += s.recv(65536)
                    head, _, data = data.partition(b"\\r\\n\\r\\n")
                    length = int([l.split(b":")[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length")][0])
                    while len(data) < length: data += s.recv(65536)
                    got += length
                    data = data[length:]
            else:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00")
            s.close()
            print(got)
            """
        let result = try run("python3", ["-c", script, "\(host.port)", target, "\(pause)", read ? "read" : "close", "\(count)"])
        guard result.status == 0 else { throw FixtureError(message: "slow client failed: \(result.combined)") }
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The response lines of `target`, once there are `count` of them (or after 5 s).
    private func responseLines(_ target: String, count: Int) -> [String] {
        let deadline = Date().addingTimeInterval(5)
        var lines: [String] = []
        while Date() < deadline {
            let text = (try? String(contentsOf: host.site.appending(path: "logs/server.log"), encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").filter { $0.contains("response GET \(target) ") }.map(String.init)
            if lines.count >= count { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return lines
    }

    /// 120 answers of 60 kB are 7.2 MB: more than the sockets take while the client sleeps (the
    /// sending side grows to 4 MB on Linux, `net.ipv4.tcp_wmem`).
    let count = 120

    @Test func aSlowReaderThatReadsItAllIsLoggedDelivered() throws {
        let target = "\(path)?reader=\(UUID().uuidString.prefix(8))"
        #expect(try slowClient(target, count: count, pause: 1, read: true) == count * 60_000)
        let lines = responseLines(target, count: count)
        #expect(lines.count == count && lines.allSatisfy { $0.hasSuffix(" status=200") }, "\(lines)")
    }

    @Test func answersStillWaitingWhenTheClientLeavesAreLoggedAborted() throws {
        let target = "\(path)?leaver=\(UUID().uuidString.prefix(8))"
        _ = try slowClient(target, count: count, pause: 1, read: false)
        let lines = responseLines(target, count: count)
        #expect(lines.count == count, "\(lines.count) response lines for \(count) answers")
        let aborted = lines.filter { $0.hasSuffix(" status=aborted") && $0.contains("aborted=connection_closed") }
        // The socket took the first answers before the client left; the rest never left the host.
        #expect(!aborted.isEmpty && aborted.count < count, "\(lines)")
        #expect(lines.allSatisfy { $0.hasSuffix(" status=200") || $0.hasSuffix(" status=aborted") }, "\(lines)")
    }
}
