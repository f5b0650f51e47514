import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOSSL
import NIOTLS
import PlugHostConfig

/// HTTPS with HTTP/2 or HTTP/1.1 chosen by ALPN, as Hummingbird's `HTTP2UpgradeChannel` does it,
/// with our HTTP/2 connection (``HTTP2Connection``: the `[limits]` and the abuse bounds of
/// docs/SECURITY.md) in place of Hummingbird's.
struct HTTPSChannel: ServerChildChannel {
    typealias Negotiated = NIONegotiatedHTTPVersion<HostHTTP1Channel.Value, HTTP2Connection.Value>

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    private let sslContext: NIOSSLContext
    private let http1: HostHTTP1Channel
    private let http2: HTTP2Connection

    init(tlsConfiguration: TLSConfiguration, limits: LimitSettings, events: ConnectionEvents,
         streamConfiguration: HTTP1Channel.Configuration, responder: @escaping HTTPChannelHandler.Responder) throws {
        var tlsConfiguration = tlsConfiguration
        tlsConfiguration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        http1 = HostHTTP1Channel(responder: responder, configuration: streamConfiguration)
        http2 = HTTP2Connection(limits: limits, events: events, streamConfiguration: streamConfiguration, responder: responder)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = http1, http2 = http2
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            // Right behind TLS, so that no close overtakes bytes already written (FlushBeforeClose).
            try channel.pipeline.syncOperations.addHandler(FlushBeforeClose())
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result, channel in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
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
