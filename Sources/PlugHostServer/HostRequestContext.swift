import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's address and
/// the channel the response goes out on (HTTP/1.1 connection or HTTP/2 stream).
struct HostRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// For a body written a part at a time, to learn whether the client takes it
    /// (``StreamedFileSystem``).
    let channel: any Channel
    /// The TCP peer. Proxies are not trusted here; that is the logging middleware's concern.
    let remoteAddress: SocketAddress?
    /// Filled in by inner layers, read by the request log.
    let logFields = RequestLogFields()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
