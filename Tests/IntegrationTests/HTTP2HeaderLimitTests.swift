import Foundation
import Testing

/// `[limits] max_header_size` on HTTP/2, with the defaults (32 KiB): the limit is the configured
/// one, not the HTTP/2 layer's own 16 KiB, and a header block over it that the server can still
/// decode is answered 431 on its stream while the connection and its other streams go on.
@Suite(.serialized)
struct HTTP2HeaderLimitTests {
    let host: HostProcess

    init() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n\n[rate_limit]\nenabled = false\n") { _ in }
        host = try HostProcess(site: site)
    }

    /// Statuses by stream ("1": the request with the big header, "3": a plain one), the GOAWAY
    /// error code if any, and whether the server closed the connection.
    func exchange(headerBytes: Int) throws -> (statuses: [String: Int], goaway: String?, closed: Bool) {
        let result = try run("python3", [Paths.fixtures.appending(path: "h2_headers.py").path, "\(host.port)", "\(headerBytes)"])
        guard result.status == 0,
              let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw FixtureError(message: "h2_headers.py failed: \(result.combined)")
        }
        return (report["statuses"] as? [String: Int] ?? [:], report["goaway"] as? String, report["closed"] as? Bool ?? false)
    }

    @Test func aHeaderUnderMaxHeaderSizeButOverSixteenKibibytesIsServed() throws {
        let answer = try exchange(headerBytes: 20_000)
        #expect(answer.statuses == ["1": 200, "3": 200], "\(answer)")
        #expect(answer.goaway == nil && !answer.closed, "\(answer)")
    }

    @Test func aHeaderOverMaxHeaderSizeIs431OnItsStreamAndTheConnectionGoesOn() throws {
        let answer = try exchange(headerBytes: 40_000)
        #expect(answer.statuses == ["1": 431, "3": 200], "\(answer)")
        #expect(answer.goaway == nil && !answer.closed, "\(answer)")
    }

    /// Past the HTTP/2 decoding bound (max_header_size + max_uri_length + 1 KiB + 32 bytes a field
    /// for max_header_count + 1 fields: 45,216 bytes by default) the block is not decoded at all: the
    /// connection ends with a GOAWAY, as HPACK leaves no other choice. The host goes on serving.
    @Test func anAbsurdHeaderBlockEndsTheConnection() throws {
        let answer = try exchange(headerBytes: 200_000)
        #expect(answer.goaway != nil || answer.closed, "\(answer)")
        #expect(answer.statuses["1"] == nil, "\(answer)")
        #expect(try run("curl", ["-sS", "-k", "--http2", "-o", "/dev/null", "-w", "%{http_code}", "\(host.baseURL)/api/health"]).output == "200")
    }
}
