import PlugHostConfig

/// What a listener holds a connection to before its first request (``ListenerService``):
/// `[limits] max_connections_per_client` at the accept (``PerClientConnectionLimit``) and
/// `request_head_timeout` from the accept to the first request head (``FirstRequestDeadline``).
struct ConnectionAdmission: Sendable {
    let maxConnectionsPerClient: Int
    let requestHeadTimeout: Double
    let events: ConnectionEvents

    init(limits: LimitSettings, events: ConnectionEvents) {
        maxConnectionsPerClient = limits.maxConnectionsPerClient
        requestHeadTimeout = limits.requestHeadTimeout
        self.events = events
    }
}
