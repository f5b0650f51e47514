/// `[metrics]`: Prometheus metrics at `/api/metrics`.
public struct MetricsSettings: Sendable {
    public var enabled = true
    /// `/api/metrics` needs an API key (as `/api/plugins` and `/api/config` always do).
    public var authRequired = true
}
