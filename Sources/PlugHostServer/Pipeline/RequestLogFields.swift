import PlugHostObservability
import Synchronization

/// What inner layers learn about a request that the logging middleware, outermost, reports:
/// the resolved client address, the plugin that served it, and the authenticated key's name.
///
/// A reference, because a Hummingbird context travels inward by value and changes made deeper
/// in the chain are otherwise invisible to the middleware that wraps them.
final class RequestLogFields: Sendable {
    private let state = Mutex<(client: String, plugin: String?, key: String?, route: String?, metrics: HostMetrics.RouteMetrics?)>(("", nil, nil, nil, nil))

    /// The answering plugin route's metrics, set once by its responder (no lookup per request).
    var metrics: HostMetrics.RouteMetrics? {
        get { state.withLock { $0.metrics } }
        set { state.withLock { $0.metrics = newValue } }
    }

    var client: String {
        get { state.withLock { $0.client } }
        set { state.withLock { $0.client = newValue } }
    }

    var plugin: String? {
        get { state.withLock { $0.plugin } }
        set { state.withLock { $0.plugin = newValue } }
    }

    /// The route template that answered (never the raw path), for metrics.
    var route: String? {
        get { state.withLock { $0.route } }
        set { state.withLock { $0.route = newValue } }
    }

    var key: String? {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }
}
