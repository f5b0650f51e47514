import HTTPTypes
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
@testable import PlugHostObservability
import Testing

/// The per-client log throttle, and two tests that watch upstream: each pins a behaviour of
/// NIOHTTP2 or Hummingbird that the host works around in its own layer (docs/SECURITY.md, "HTTP/2
/// under abuse"). When one fails, the upstream fix has landed: the workaround can be reconsidered.
@Suite struct HTTP2AbuseUnitTests {
    @Test func theClientLogThrottleKeepsOneLineAnIntervalForEachClient() {
        let throttle = ClientLogThrottle(interval: .seconds(10), maxClients: 2)
        let start = ContinuousClock.now
        #expect(throttle.admit(client: "192.0.2.1", at: start) == 0)
        #expect(throttle.admit(client: "192.0.2.1", at: start + .seconds(1)) == nil)
        // Another client is not silenced by the first one's flood.
        #expect(throttle.admit(client: "192.0.2.2", at: start + .seconds(1)) == 0)
        #expect(throttle.admit(client: "192.0.2.1", at: start + .seconds(2)) == nil)
        #expect(throttle.admit(client: "192.0.2.1", at: start + .seconds(10)) == 2)
        // Past maxClients the table starts again: a forgotten client is logged, never silenced.
        #expect(throttle.admit(client: "192.0.2.3", at: start + .seconds(11)) == 0)
        #expect(throttle.admit(client: "192.0.2.1", at: start + .seconds(11)) == 0)
    }

    /// Two HTTP/2 endpoints on embedded channels, bytes carried between them by `exchange`.
    final class Wire {
        let client = EmbeddedChannel()
        let server: EmbeddedChannel
        let frames = FrameRecorder()

        init(server: EmbeddedChannel) throws {
            self.server = server
            try client.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client))
            try client.pipeline.syncOperations.addHandler(frames)
            client.pipeline.fireChannelActive()
        }

        /// Carries bytes both ways until neither side has more. An error either side reports
        /// (NIOHTTP2's connection errors reach the end of the pipeline) does not stop the carrying:
        /// the GOAWAY written with it must still arrive.
        func exchange() {
            var moved = true
            while moved {
                moved = false
                while let bytes = try? client.readOutbound(as: ByteBuffer.self) {
                    _ = try? server.writeInbound(bytes)
                    moved = true
                }
                while let bytes = try? server.readOutbound(as: ByteBuffer.self) {
                    _ = try? client.writeInbound(bytes)
                    moved = true
                }
            }
        }

        func request(_ stream: Int, reset: Bool) throws {
            let headers = HPACKHeaders([(":method", "GET"), (":path", "/"), (":scheme", "https"), (":authority", "a")])
            let id = HTTP2StreamID(stream)
            try client.writeOutbound(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true))))
            if reset { try client.writeOutbound(HTTP2Frame(streamID: id, payload: .rstStream(.cancel))) }
        }

        var goAways: [(lastStreamID: HTTP2StreamID, code: NIOHTTP2.HTTP2ErrorCode)] {
            frames.received.compactMap {
                if case .goAway(let last, let code, _) = $0.payload { return (last, code) }
                return nil
            }
        }
    }

    final class FrameRecorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTP2Frame
        var received: [HTTP2Frame] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { received.append(unwrapInboundIn(data)) }
    }

    /// NIOHTTP2 answers rapid reset (more than 200 RST_STREAMs in 30 s) with GOAWAY
    /// ENHANCE_YOUR_CALM and `last_stream_id` 0, although it handed every one of those streams to
    /// the server. The host counts the client's resets itself at the same rate
    /// (`HTTP2ConnectionManager`) and raises NIOHTTP2's limit, so that its own GOAWAY names them.
    @Test func upstreamNIOHTTP2StillAnswersRapidResetWithLastStreamIDZero() throws {
        let server = EmbeddedChannel()
        try server.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .server))
        server.pipeline.fireChannelActive()
        let wire = try Wire(server: server)
        wire.exchange()
        for index in 0..<201 {
            try wire.request(2 * index + 1, reset: true)
            wire.exchange()
        }
        let goAway = try #require(wire.goAways.first, "no GOAWAY after 201 cancelled streams")
        #expect(goAway.code == NIOHTTP2.HTTP2ErrorCode.enhanceYourCalm)
        #expect(goAway.lastStreamID == 0, "NIOHTTP2 now names the streams it took: HTTP2ConnectionManager's own rapid-reset limit may go")
    }

    /// Hummingbird's HTTP/2 connection manager sends GOAWAY and a PING when the connection is idle,
    /// and then waits for the PING's acknowledgement with no timeout: a client that never sends it
    /// keeps the connection for ever. The host's `HTTP2ConnectionManager` closes it after
    /// `request_head_timeout`.
    @Test func upstreamHummingbirdStillKeepsAConnectionWhoseClientIgnoresTheIdlePing() async throws {
        let server = EmbeddedChannel()
        let http2 = HTTP2Channel(responder: { _, _, _ in }, configuration: .init(idleTimeout: .seconds(1), gracefulCloseTimeout: .seconds(1)))
        _ = try await http2.setup(channel: server, logger: Logger(label: "test")).get()
        try await server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).get()
        let wire = try Wire(server: server)
        // No stream: Hummingbird's idle timer runs from the start (a stream's channel here would
        // need a task to serve it).
        wire.exchange()
        #expect(server.isActive, "closed before it was idle")
        server.embeddedEventLoop.advanceTime(by: .seconds(2))
        // The client's HTTP/2 handler acknowledges the PING by itself; an attacker's does not:
        // the server's frames are delivered, the client's answer is dropped.
        while let bytes = try server.readOutbound(as: ByteBuffer.self) { try wire.client.writeInbound(bytes) }
        while try wire.client.readOutbound(as: ByteBuffer.self) != nil {}
        #expect(server.isActive, "closed at the idle GOAWAY")
        #expect(wire.goAways.first?.lastStreamID == HTTP2StreamID.maxID, "\(wire.goAways.map(\.lastStreamID))")
        server.embeddedEventLoop.advanceTime(by: .seconds(3600))
        #expect(server.isActive, "Hummingbird now closes a connection whose client ignores the idle PING: HTTP2ConnectionManager's timeout may be reconsidered")
        _ = try? server.finish()
        _ = try? wire.client.finish()
    }
}
