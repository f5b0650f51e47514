import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
@testable import PlugHostServer
import Synchronization
import Testing

/// The host's HTTP/1.1 codec against what it replaces: NIOHTTPTypes' codec with NIO's response
/// encoder. For the same requests read and the same response parts written, both must put the
/// same bytes on the wire (framing, HEAD, 1xx/204/304, chunks and trailers, reason phrases), and
/// the host's in fewer writes.
@Suite struct HTTP1CodecTests {
    /// One connection's server side: the request decoder and either codec.
    final class Wire {
        let channel = EmbeddedChannel()
        private(set) var requests: [HTTPRequestPart] = []

        init(host: Bool) throws {
            let operations = channel.pipeline.syncOperations
            if host {
                try operations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                try operations.addHandler(HTTP1Codec(secure: false))
            } else {
                try operations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false)
                try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            }
        }

        func read(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
            while let part = try channel.readInbound(as: HTTPRequestPart.self) { requests.append(part) }
        }

        /// Writes the parts (then a flush); returns the writes that reached the socket.
        @discardableResult
        func write(_ parts: [HTTPResponsePart], promises: Bool = false) -> [ByteBuffer] {
            for part in parts {
                let promise: EventLoopPromise<Void>? = promises ? channel.eventLoop.makePromise() : nil
                promise?.futureResult.whenFailure { _ in }
                channel.write(part, promise: promise)
            }
            channel.flush()
            var writes: [ByteBuffer] = []
            while let bytes = try? channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = bytes { writes.append(buffer) }
            }
            return writes
        }
    }

    static func response(_ status: HTTPResponse.Status, _ fields: HTTPFields = [:], body: String? = nil, trailers: HTTPFields? = nil) -> [HTTPResponsePart] {
        var parts: [HTTPResponsePart] = [.head(HTTPResponse(status: status, headerFields: fields))]
        if let body { parts.append(.body(ByteBuffer(string: body))) }
        parts.append(.end(trailers))
        return parts
    }

    /// (requests read, responses written) exchanges, each on a connection of its own.
    static let exchanges: [(String, [[HTTPResponsePart]])] = {
        let json: HTTPFields = [.contentType: "application/json", .contentLength: "13", .date: "Sun, 06 Dec 2026 06:00:00 GMT"]
        let big = String(repeating: "x", count: 40_000)
        return [
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, json, body: #"{"ok": true }"#)]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, [.contentLength: "40000"], body: big)]),
            // No length: chunked, with the trailers; an empty part is not a chunk.
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [[.head(HTTPResponse(status: .ok)), .body(ByteBuffer(string: "abc")), .body(ByteBuffer()),
                                                  .body(ByteBuffer(string: String(repeating: "y", count: 300))), .end([HTTPField.Name("x-digest")!: "1"])]]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [[.head(HTTPResponse(status: .ok, headerFields: [.transferEncoding: "gzip"])), .body(ByteBuffer(string: "abc")), .end(nil)]]),
            // HEAD: the length stays, the body goes (its write fails).
            ("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, json, body: #"{"ok": true }"#)]),
            ("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok)]),
            // No body by status: neither length nor transfer coding.
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.noContent, [.contentLength: "0", .transferEncoding: "chunked"])]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.notModified, [.contentLength: "13", .eTag: "\"1\""])]),
            // An interim answer does not take the request's place: the final one is still HEAD's.
            ("HEAD /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nab",
             [[.head(HTTPResponse(status: .continue))], response(.ok, json, body: #"{"ok": true }"#)]),
            // Pipelined: each answer framed for its own request.
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n",
             [response(.ok, [.contentLength: "2"], body: "ab"), response(.ok, [.contentLength: "2"], body: "cd"), response(.ok, body: "ef")]),
            // Reason phrases: a status's own, the standard one when it has none, a custom one.
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.init(code: 404), [.contentLength: "0"])]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.init(code: 599), [.contentLength: "0"])]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.init(code: 299, reasonPhrase: "Fine\r\nX-Evil: 1"), [.contentLength: "0"])]),
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.init(code: 200, reasonPhrase: "Okay"), [.contentLength: "0"])]),
            // Requests as NIOHTTPTypes converts them: an absolute target, a second Host (a field
            // then), a lowercase host, no Host, a query, a cookie, an odd method.
            ("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, [.contentLength: "0"])]),
            ("GET /a?b=c&d HTTP/1.1\r\nhost: h\r\nHOST: i\r\nCookie: a=1; b=2\r\nX-Empty:\r\n\r\n", [response(.ok, [.contentLength: "0"])]),
            ("GET / HTTP/1.0\r\nUser-Agent: x\r\nConnection: keep-alive\r\n\r\n", [response(.ok, [.contentLength: "0"])]),
            ("PURGE /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, [.contentLength: "0"])]),
            ("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, [.contentLength: "0"])]),
            // A field value with CR/LF was made legal by HTTPTypes: no second line.
            ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", [response(.ok, [.contentLength: "0", HTTPField.Name("x-note")!: "a\r\nSet-Cookie: b"])]),
        ]
    }()

    @Test(arguments: 0..<exchanges.count)
    func writesWhatNIOWrites(exchange index: Int) throws {
        let (requests, responses) = Self.exchanges[index]
        let host = try Wire(host: true), nio = try Wire(host: false)
        try host.read(requests)
        try nio.read(requests)
        #expect(host.requests == nio.requests, "requests are converted as NIOHTTPTypes converts them")
        var hostBytes = ByteBuffer(), nioBytes = ByteBuffer()
        for response in responses {
            for var write in host.write(response, promises: true) { hostBytes.writeBuffer(&write) }
            for var write in nio.write(response, promises: true) { nioBytes.writeBuffer(&write) }
        }
        #expect(String(buffer: hostBytes) == String(buffer: nioBytes))
        #expect(!String(buffer: hostBytes).contains("\r\nX-Evil") && !String(buffer: hostBytes).contains("\r\nSet-Cookie"))
    }

    /// The version is lost in the HTTP types: a request that does not keep its connection by
    /// its version says so in a field, which the layers above act on.
    @Test func anHTTP10RequestWithoutKeepAliveAsksToClose() throws {
        func connection(_ request: String) throws -> String? {
            let wire = try Wire(host: true)
            try wire.read(request)
            guard case .head(let head) = wire.requests.first else { return "no head" }
            return head.headerFields[.connection]
        }
        #expect(try connection("GET /a HTTP/1.0\r\n\r\n") == "close")
        #expect(try connection("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == "keep-alive")
        #expect(try connection("GET /a HTTP/1.1\r\nHost: h\r\n\r\n") == nil)
    }

    @Test func aResponseOfKnownLengthLeavesAsOneWrite() throws {
        let wire = try Wire(host: true)
        try wire.read("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        let ended = Mutex(false)
        wire.channel.write(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "2"])), promise: nil)
        wire.channel.write(HTTPResponsePart.body(ByteBuffer(string: "ab")), promise: nil)
        let end = wire.channel.eventLoop.makePromise(of: Void.self)
        end.futureResult.whenSuccess { ended.withLock { $0 = true } }
        wire.channel.write(HTTPResponsePart.end(nil), promise: end)
        let writes = wire.write([])
        #expect(ended.withLock { $0 }, "the end's promise completes with the one write it joined")
        #expect(writes.count == 1)
        #expect(writes.first.map { String(buffer: $0) } == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab")
    }

    @Test func aFlushBetweenTheHeadAndTheEndSendsWhatWasWritten() throws {
        let wire = try Wire(host: true)
        try wire.read("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        let head = wire.write([.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "2"]))])
        #expect(head.map { String(buffer: $0) } == ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"])
        let rest = wire.write([.body(ByteBuffer(string: "ab")), .end(nil)])
        #expect(rest.map { String(buffer: $0) } == ["ab"])
    }

    /// Records the writes that reach it, flushed or not.
    final class WriteRecorder: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = IOData
        let writes = Mutex(0)

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            writes.withLock { $0 += 1 }
            context.write(data, promise: promise)
        }
    }

    @Test func aCloseBeforeTheEndHandsOnWhatWasWritten() throws {
        let wire = try Wire(host: true)
        let recorder = WriteRecorder()
        try wire.channel.pipeline.syncOperations.addHandler(recorder, position: .first)
        try wire.read("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        wire.channel.write(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "2"])), promise: nil)
        #expect(recorder.writes.withLock { $0 } == 0, "the head waits for its body")
        _ = try? wire.channel.close().wait()
        #expect(recorder.writes.withLock { $0 } == 1, "the channel settles it at the close, as it settles any write it has not sent")
    }
}
