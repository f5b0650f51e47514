import Foundation
import Testing

/// HTTP/1.1 as bytes on one connection, for tests that must see exactly what a client reads:
/// pipelined requests, framing, every byte the server wrote.
enum RawHTTP {
    /// Sends `requests` in one write on one connection to 127.0.0.1:`port` and returns every byte
    /// the server wrote before it closed the connection, as Latin-1 text (the last request should
    /// ask it to close).
    static func exchange(port: Int, _ requests: String) throws -> String {
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            s.sendall(sys.argv[2].encode("latin-1"))
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            sys.stdout.write(data.decode("latin-1"))
            """
        let result = try run("python3", ["-c", script, "\(port)", requests])
        guard result.status == 0 else { throw FixtureError(message: "exchange failed: \(result.combined)") }
        return result.output
    }

    /// The responses in `wire` as a client reads them: each head, then as many body bytes as its
    /// framing says (none after HEAD, 1xx, 204 and 304). Bytes left over, or a head that does not
    /// parse, would be read as (the start of) another response: they come back as a last
    /// "response" whose status line is what the client would take for one.
    static func responses(_ wire: String, firstIsHead: Bool = false) -> [(status: String, head: String, body: String)] {
        var rest = Substring(wire)
        var found: [(status: String, head: String, body: String)] = []
        while !rest.isEmpty {
            guard let end = rest.range(of: "\r\n\r\n") else {
                found.append((String(rest.prefix(40)), String(rest), ""))
                break
            }
            let head = String(rest[..<end.lowerBound])
            let status = head.components(separatedBy: "\r\n")[0]
            rest = rest[end.upperBound...]
            let code = Int(status.split(separator: " ").dropFirst().first ?? "") ?? 0
            let noBody = (found.isEmpty && firstIsHead) || (100..<200).contains(code) || code == 204 || code == 304
            let length = noBody ? 0 : head.lowercased().components(separatedBy: "\r\n")
                .first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            found.append((status, head, String(rest.prefix(length))))
            rest = rest.dropFirst(length)
        }
        return found
    }

    /// A `GET` of `path` as one pipelined request, with `extra` header lines (each ending in CRLF).
    static func get(_ path: String, _ extra: String = "") -> String { "GET \(path) HTTP/1.1\r\nHost: x\r\n\(extra)\r\n" }

    /// The responses in `wire` (``responses(_:firstIsHead:)``) for a test that expects only
    /// HTTP/1.1 responses: a byte no response accounts for is an issue of the running test.
    static func expectedResponses(_ wire: String) -> [(status: String, head: String, body: String)] {
        let found = responses(wire)
        #expect(found.allSatisfy { $0.status.hasPrefix("HTTP/1.1 ") }, "bytes no response accounts for: \(wire)")
        return found
    }
}
