import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2
import NIOSSL
import NIOTLS

/// HTTPS with HTTP/2 or HTTP/1.1 chosen by ALPN: Hummingbird's `HTTP2UpgradeChannel`, with the
/// HTTP/2 header list limit taken from `[limits]`.
///
/// Hummingbird sets its HTTP/2 handler up with NIO's fixed 16 KiB SETTINGS_MAX_HEADER_LIST_SIZE and
/// no way to change it, and a header block over it ends the connection (GOAWAY). Here, as soon as
/// the HTTP/2 handler is in place, a second SETTINGS frame announces `headerListBytes` instead;
/// NIO's decoder applies it once the client acknowledges it (until then, in the client's first
/// flight, NIO's 16 KiB still holds). A header block within it is decoded, so the connection's
/// HPACK state stays whole, and reaches the ``ConnectionGuard`` on its stream, which answers 431
/// past `max_header_size` on that stream alone.
struct HTTPSChannel: ServerChildChannel {
    typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    private let sslContext: NIOSSLContext
    private let http1: HTTP1Channel
    private let http2: HTTP2Channel
    private let headerListBytes: Int

    init(tlsConfiguration: TLSConfiguration, configuration: HTTP2ChannelConfiguration, headerListBytes: Int,
         responder: @escaping HTTPChannelHandler.Responder) throws {
        var tlsConfiguration = tlsConfiguration
        tlsConfiguration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        http1 = HTTP1Channel(responder: responder, configuration: configuration.streamConfiguration)
        http2 = HTTP2Channel(responder: responder, configuration: configuration)
        self.headerListBytes = headerListBytes
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = http1, http2 = http2, headerListBytes = headerListBytes
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            // Right behind TLS, so that no close overtakes bytes already written (FlushBeforeClose).
            try channel.pipeline.syncOperations.addHandler(FlushBeforeClose())
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result, channel in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { connection in
                        let settings = HTTP2Settings([HTTP2Setting(parameter: .maxHeaderListSize, value: headerListBytes)])
                        channel.writeAndFlush(HTTP2Frame(streamID: .rootStream, payload: .settings(.settings(settings))), promise: nil)
                        return .http2(connection)
                    }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .negotiated:
                    // Only h2 and http/1.1 are offered; anything else is a broken client.
                    return channel.close().flatMap { channel.eventLoop.makeFailedFuture(NIOHTTP2Errors.invalidALPNToken()) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return channel.eventLoop.makeSucceededFuture(Value(negotiated: negotiation.protocolNegotiationResult, channel: channel))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection):
                await http1.handle(value: connection, logger: logger)
            case .http2(let connection):
                await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("HTTPS connection ended before a protocol was chosen: \(error)")
        }
    }
}
