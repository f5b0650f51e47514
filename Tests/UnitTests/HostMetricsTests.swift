@testable import PlugHostObservability
import Testing

@Suite struct PluginMetricTests {
    @Test func laterHelpTextsAreIgnoredNotFatal() {
        let metrics = HostMetrics()
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: "Jobs done.", value: 1) == nil)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: nil, value: 1) == nil)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: "Other text.", value: 2) == nil)
        #expect(String(decoding: metrics.render(), as: UTF8.self).contains("plugin_p_jobs_total 4"))
    }

    @Test func refusalsSayWhy() {
        let metrics = HostMetrics()
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "1bad", help: nil, value: 1)?.contains("must be") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "big", help: nil, value: .infinity)?.contains("finite") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "down", help: nil, value: -1)?.contains("only goes up") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 7, name: "odd", help: nil, value: 1)?.contains("unknown kind") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 1, name: "g", help: nil, value: 1) == nil)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "g", help: nil, value: 1)?.contains("another kind") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "huge", help: nil, value: 1e300) == nil, "no trap on large values")
    }

    @Test func twoPluginsCannotShareAnExportedName() {
        let metrics = HostMetrics()
        #expect(metrics.pluginMetric(plugin: "a-b", kind: 0, name: "x", help: nil, value: 1) == nil)
        #expect(metrics.pluginMetric(plugin: "a_b", kind: 0, name: "x", help: nil, value: 1)?.contains("already belongs to plugin 'a-b'") == true)
    }

    @Test func unknownMethodsShareOneLabel() {
        #expect(HostMetrics.methodLabel("GET") == "GET")
        #expect(HostMetrics.methodLabel("BREW") == "other")
    }
}
