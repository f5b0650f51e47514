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
    /// Seconds from connection open to a complete first request head (slowloris); 408 past it.
    public var requestHeadTimeout: Double = 10
    /// Seconds a kept-alive connection may wait for its next complete request head; closed past it.
    public var idleTimeout: Double = 60
    /// Seconds from a request head to the end of its body; the connection is closed past it.
    public var requestReadTimeout: Double = 30
}
