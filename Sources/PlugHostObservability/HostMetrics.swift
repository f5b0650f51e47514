import FoundationEssentials
import Glibc
import Prometheus
import Synchronization

/// The host's Prometheus metrics: requests by plugin, route template, method and status class;
/// in-flight requests; refusals by the rate limiter and by authentication; plugin load failures;
/// handler timeouts and double answers; connections refused at accept or closed before their first
/// request; process figures; and the plugins' own metrics.
///
/// Labels only ever hold bounded values — route templates, never raw paths — so a client cannot
/// grow the registry by inventing URLs.
public final class HostMetrics: Sendable {
    /// The full name as it is exported (no namespace or unit parts: the names already say them).
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Process-wide, like the plugin call table that reports into it.
    public static let shared = HostMetrics()

    let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let droppedLogLines: Counter
    private let refusedOverPerClientLimit: Counter
    private let timedOutInHandshake: Counter
    private let timedOutBeforeRequestHead: Counter
    private let started = Date()
    /// Every plugin metric by exported name: who owns it, its kind, and its help (the first one given,
    /// since the registry refuses — fatally — one name with two help texts).
    private let pluginMetrics = Mutex<[String: (plugin: String, kind: Int32, help: String)]>([:])
    /// Each plugin metric's registry handle by the plugin's own name for it, once it has been
    /// recorded: a plugin that counts every request pays one lookup here, not the name checks,
    /// the exported name's text and the registry's lookup (2.9 µs of a 50 µs chain request).
    private let pluginMetricHandles = Mutex<[PluginMetricKey: PluginMetricHandle]>([:])

    private struct PluginMetricKey: Hashable {
        let plugin: String
        let name: String
    }

    private enum PluginMetricHandle: Sendable {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(ValueHistogram)

        var kind: Int32 {
            switch self {
            case .counter: 0
            case .gauge: 1
            case .histogram: 2
            }
        }
    }

    private static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init() {
        inFlight = registry.makeGauge(descriptor: HostMetrics.named("plughost_http_requests_in_flight", "Requests being answered right now."))
        droppedLogLines = registry.makeCounter(descriptor: HostMetrics.named("plughost_log_lines_dropped_total", "Log lines dropped because the log queue was full."))
        refusedOverPerClientLimit = registry.makeCounter(
            descriptor: HostMetrics.named("plughost_connections_refused_total", "Connections closed as soon as they were accepted, by the limit that refused them."),
            labels: [("limit", "max_connections_per_client")])
        let timedOut = HostMetrics.named("plughost_connections_timed_out_total",
                                         "Connections closed because no complete first request head arrived within request_head_timeout, by how far they got.")
        timedOutInHandshake = registry.makeCounter(descriptor: timedOut, labels: [("stage", "tls_handshake")])
        timedOutBeforeRequestHead = registry.makeCounter(descriptor: timedOut, labels: [("stage", "request_head")])
    }

    private let routes = Mutex<[RouteKey: RouteMetrics]>([:])

    /// The three labels as they are: a key made by joining them was a new string per request.
    private struct RouteKey: Hashable {
        let plugin: String
        let route: String
        let method: String
    }

    /// The metrics of one route, made once and then updated without any lookup.
    package final class RouteMetrics: Sendable {
        /// One counter per status class, 1xx to 5xx.
        let requests: [Counter]
        let duration: DurationHistogram

        init(registry: PrometheusCollectorRegistry, plugin: String, route: String, method: String) {
            let labels = [("plugin", plugin), ("route", route), ("method", method)]
            requests = (1...5).map {
                registry.makeCounter(descriptor: HostMetrics.named("plughost_http_requests_total", "Requests answered."), labels: labels + [("status", "\($0)xx")])
            }
            duration = registry.makeDurationHistogram(descriptor: HostMetrics.named("plughost_http_request_duration_seconds", "Time from request head to answer."),
                                                      labels: labels, buckets: HostMetrics.durationBuckets)
        }

        func record(status: Int, duration elapsed: Duration) {
            requests[min(max(status / 100, 1), 5) - 1].increment()
            duration.record(elapsed)
        }
    }

    /// Methods outside the standard set share one label value, so clients cannot invent labels.
    static func methodLabel(_ method: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(method) ? method : "other"
    }

    /// The metrics of a route, made on first use and cached.
    package func route(plugin: String, route: String, method: String) -> RouteMetrics {
        // Keyed by the label, not the raw method: over HTTP/2 any token is a method.
        let label = Self.methodLabel(method)
        let key = RouteKey(plugin: plugin, route: route, method: label)
        return routes.withLock { routes in
            if let metrics = routes[key] { return metrics }
            let metrics = RouteMetrics(registry: registry, plugin: plugin, route: route, method: label)
            routes[key] = metrics
            return metrics
        }
    }

    package func requestStarted() { inFlight.increment() }

    package func requestFinished(_ metrics: RouteMetrics, status: Int, duration: Duration) {
        inFlight.decrement()
        metrics.record(status: status, duration: duration)
    }

    package func rateLimited(policy: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_rate_limit_rejections_total", "Requests refused with 429."), labels: [("policy", policy)]).increment()
    }

    package func authFailed(reason: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_auth_failures_total", "Refused API key checks by reason."), labels: [("reason", reason)]).increment()
    }

    package func pluginLoadFailed(reason: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_plugin_load_failures_total", "Plugin files refused at start, by reason."), labels: [("reason", reason)]).increment()
    }

    /// The worker crashes counted so far, from the supervisor (a worker's own counters die with it):
    /// a series for each loaded plugin, at 0 when it crashed nothing, and one per plugin that did.
    package func pluginCrashes(_ crashes: [String: Int], loaded: [String]) {
        for plugin in Set(loaded).union(crashes.keys) {
            let counter = registry.makeCounter(
                descriptor: HostMetrics.named("plughost_plugin_crashes_total", "Worker crashes the supervisor attributed to each plugin since it started; unknown: crashes no plugin explains."),
                labels: [("plugin", plugin)])
            counter.increment(by: Int64(crashes[plugin] ?? 0))
        }
    }

    package func pluginsLoaded(_ count: Int) {
        registry.makeGauge(descriptor: HostMetrics.named("plughost_plugins_loaded", "Plugins serving.")).set(Double(count))
    }

    /// A connection was closed at accept: its address already had `max_connections_per_client` open.
    package func connectionRefusedOverPerClientLimit() { refusedOverPerClientLimit.increment() }

    /// A connection was closed at `request_head_timeout`: before its TLS handshake ended
    /// (`inHandshake`), or after it but before a complete first request head.
    package func connectionTimedOut(inHandshake: Bool) {
        (inHandshake ? timedOutInHandshake : timedOutBeforeRequestHead).increment()
    }

    /// The host reset an HTTP/2 stream (`send_timeout`: the client left its window shut; or a
    /// stream over the buffered-bytes bound), or the client cancelled one before its handler ran.
    package func http2StreamEnded(reason: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_http2_streams_reset_total", "HTTP/2 streams reset by the host, or cancelled by the client before their handler ran, by reason."),
                             labels: [("reason", reason)]).increment()
    }

    /// The host ended an HTTP/2 connection for abuse (`too_many_pings`, `too_many_resets`) or an
    /// unanswered PING after its idle GOAWAY (`ping_timeout`).
    package func http2ConnectionEnded(reason: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_http2_goaways_total", "HTTP/2 connections the host ended early with GOAWAY, by reason."),
                             labels: [("reason", reason)]).increment()
    }

    /// A log line did not fit in the log queue and was dropped.
    package func logLinesDropped() { droppedLogLines.increment() }

    package func handlerTimedOut(plugin: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_handler_timeouts_total", "Handlers that did not answer in time (504)."), labels: [("plugin", plugin)]).increment()
    }

    package func blockingShareExceeded(plugin: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_plugin_busy_total", "Blocking calls refused with 503 because the plugin had max_concurrency calls running or waiting."), labels: [("plugin", plugin)]).increment()
    }

    package func doubleAnswer(plugin: String) {
        registry.makeCounter(descriptor: HostMetrics.named("plughost_handler_double_answers_total", "Answers after the first (ignored)."), labels: [("plugin", plugin)]).increment()
    }

    /// Records a plugin's own metric; returns why it was refused, or nil when it was recorded.
    /// `help` is read only the first time the metric is recorded.
    package func pluginMetric(plugin: String, kind: Int32, name: String, help: @autoclosure () -> String?, value: Double) -> String? {
        let key = PluginMetricKey(plugin: plugin, name: name)
        if let handle = pluginMetricHandles.withLock({ $0[key] }), handle.kind == kind {
            guard value.isFinite else { return "metric \(name): the value must be a finite number" }
            return Self.record(value, in: handle, name: name)
        }
        guard Self.isValidName(name) else { return "metric name \"\(name)\" must be 1-64 of [a-zA-Z0-9_], not starting with a digit" }
        guard value.isFinite else { return "metric \(name): the value must be a finite number" }
        switch resolvePluginMetric(plugin: plugin, kind: kind, name: name, help: help()) {
        case .failure(let refusal):
            return refusal.reason
        case .success(let handle):
            pluginMetricHandles.withLock { $0[key] = handle }
            return Self.record(value, in: handle, name: name)
        }
    }

    private static func record(_ value: Double, in handle: PluginMetricHandle, name: String) -> String? {
        switch handle {
        case .counter(let counter):
            guard value >= 0 else { return "metric \(name): a counter only goes up; the value must be >= 0" }
            counter.increment(by: value)
        case .gauge(let gauge):
            gauge.set(value)
        case .histogram(let histogram):
            histogram.record(value)
        }
        return nil
    }

    /// Checks a plugin metric's kind, claims its exported name for the plugin, and makes
    /// (or finds) it in the registry.
    private func resolvePluginMetric(plugin: String, kind: Int32, name: String, help: String?) -> Result<PluginMetricHandle, MetricRefusal> {
        guard (0...2).contains(kind) else { return .failure(MetricRefusal(reason: "metric \(name): unknown kind \(kind)")) }
        let full = "plugin_\(plugin.replacing("-", with: "_"))_\(name)"
        let claim = pluginMetrics.withLock { metrics -> Result<String, MetricRefusal> in
            if let known = metrics[full] {
                guard known.plugin == plugin else { return .failure(MetricRefusal(reason: "metric \(full) already belongs to plugin '\(known.plugin)'; choose another name")) }
                guard known.kind == kind else { return .failure(MetricRefusal(reason: "metric \(name) was first used as another kind")) }
                return .success(known.help)
            }
            let text = help ?? "Metric of plugin \(plugin)."
            metrics[full] = (plugin, kind, text)
            return .success(text)
        }
        return claim.map { help in
            switch kind {
            case 0: .counter(registry.makeCounter(descriptor: HostMetrics.named(full, help)))
            case 1: .gauge(registry.makeGauge(descriptor: HostMetrics.named(full, help)))
            default: .histogram(registry.makeValueHistogram(descriptor: HostMetrics.named(full, help), buckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10_000]))
            }
        }
    }

    private struct MetricRefusal: Error { let reason: String }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), (1...64).contains(name.utf8.count) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The exposition text, with process figures read now.
    package func render() -> [UInt8] {
        registry.makeGauge(descriptor: HostMetrics.named("process_resident_memory_bytes", "Resident memory size in bytes.")).set(Double(Self.residentBytes()))
        registry.makeGauge(descriptor: HostMetrics.named("process_open_fds", "Open file descriptors.")).set(Double(Self.openDescriptors()))
        registry.makeGauge(descriptor: HostMetrics.named("process_start_time_seconds", "Start time since the Unix epoch, in seconds.")).set(started.timeIntervalSince1970)
        registry.makeGauge(descriptor: HostMetrics.named("plughost_uptime_seconds", "Seconds since the host started.")).set(Date().timeIntervalSince(started))
        return registry.emitToBuffer()
    }

    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
