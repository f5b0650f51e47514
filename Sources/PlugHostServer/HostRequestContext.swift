import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's address.
struct HostRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer. Proxies are not trusted here; that is the logging middleware's concern.
    let remoteAddress: SocketAddress?
    /// Filled in by inner layers, read by the request log.
    let logFields = RequestLogFields()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
