import PlugHostABI

/// The plugin's own metrics, exported by the host on `/api/metrics` as
/// `plugin_<plugin name>_<metric name>`. Safe to capture in handlers and use from any thread.
///
/// ```swift
/// let greetings = plugin.metrics.counter("greetings_total", help: "Greetings sent.")
/// try plugin.get("/hello") { _ in greetings.increment(); return .text("hi") }
/// ```
public struct PluginMetrics: Sendable {
    let host: HostAPI

    public func counter(_ name: String, help: String? = nil) -> Counter { Counter(metric: Metric(host: host, kind: PH_METRIC_COUNTER, name: name, help: help)) }
    public func gauge(_ name: String, help: String? = nil) -> Gauge { Gauge(metric: Metric(host: host, kind: PH_METRIC_GAUGE, name: name, help: help)) }
    public func histogram(_ name: String, help: String? = nil) -> Histogram { Histogram(metric: Metric(host: host, kind: PH_METRIC_HISTOGRAM, name: name, help: help)) }

    /// A count that only goes up.
    public struct Counter: Sendable {
        let metric: Metric
        /// Returns false when the host refused the name, kind or value (see the host log), or is older than ABI 1.2.
        @discardableResult public func increment(by amount: Double = 1) -> Bool { metric.record(amount) }
    }

    /// A value that goes up and down.
    public struct Gauge: Sendable {
        let metric: Metric
        @discardableResult public func set(_ value: Double) -> Bool { metric.record(value) }
    }

    /// A distribution of observed values (durations in seconds, sizes in bytes, ...).
    public struct Histogram: Sendable {
        let metric: Metric
        @discardableResult public func observe(_ value: Double) -> Bool { metric.record(value) }
    }

    struct Metric: Sendable {
        let host: HostAPI
        let kind: Int32
        let name: String
        let help: String?

        func record(_ value: Double) -> Bool {
            // `metric` arrived in ABI 1.2: an older host's table ends before it.
            guard let function = host.function(\.metric) else { return false }
            let status = name.withCString { namePointer in
                if let help { return help.withCString { function(host.plugin, kind, namePointer, $0, value) } }
                return function(host.plugin, kind, namePointer, nil, value)
            }
            return status == PH_OK
        }
    }
}
