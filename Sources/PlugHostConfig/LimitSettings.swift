/// `[limits]`: what one client may ask of the server, and how long it may take to ask.
/// Defaults follow nginx's and Envoy's spirit: small enough to be safe on the open internet,
/// large enough for ordinary APIs.
public struct LimitSettings: Sendable {
    /// Largest request body a route accepts (413 past it), unless the route sets its own.
    public var maxBodyBytes = 1_048_576
    /// The most a route may raise its own body limit to (ph_route_t.max_body_size).
    public var maxRouteBodyBytes = 64 * 1_048_576
    /// Largest request head (request line and all header fields together); 431 past it.
    public var maxHeaderBytes = 32 * 1024
    /// Most header fields in one request; 431 past it.
    public var maxHeaderCount = 100
    /// Longest request target (path and query); 414 past it.
    public var maxURILength = 8192
    /// Most TCP connections open at once (any protocol); at the maximum the server stops
    /// accepting, and further connections wait in the kernel's backlog until one closes.
    public var maxConnections = 4096
    /// Most TCP connections open at once from one client address (an IPv6 client: its /64); past
    /// it a new connection from that address is closed as soon as it is accepted. One address
    /// then holds at most a sixteenth of the default `maxConnections`, however many it opens.
    /// Unset, it is `defaultMaxConnectionsPerClient` or `maxConnections`, whichever is lower.
    public var maxConnectionsPerClient = LimitSettings.defaultMaxConnectionsPerClient
    /// Far above what one browser opens (six HTTP/1.1 connections to a host, one for HTTP/2), so
    /// an office behind one NAT address still gets in; far below `maxConnections`.
    public static let defaultMaxConnectionsPerClient = 256
    /// Seconds from connection open to a complete first request head (slowloris), TLS handshake
    /// included; past it the connection is closed (with 408 once HTTP/1.1 is spoken).
    public var requestHeadTimeout: Double = 10
    /// Seconds a kept-alive connection may wait for its next complete request head; closed past it.
    public var idleTimeout: Double = 60
    /// Seconds from a request head to the end of its body; the connection is closed past it.
    public var requestReadTimeout: Double = 30
    /// Seconds an HTTP/2 stream may hold response bytes that the client does not take (its flow-
    /// control window stays shut) before the stream is reset (RST_STREAM): without it a client
    /// that never reads holds the server's buffers for ever. nginx calls the same bound `send_timeout`.
    public var sendTimeout: Double = 30
}
