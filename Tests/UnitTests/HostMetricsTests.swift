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

    /// After its first use a metric is found by the plugin's own name (a cache): every check
    /// that does not depend on the name still holds for later values.
    @Test func laterValuesOfAKnownMetricAreStillChecked() {
        let metrics = HostMetrics()
        var helpReads = 0
        func help() -> String { helpReads += 1; return "Jobs." }
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: help(), value: 1) == nil)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: help(), value: 2) == nil)
        #expect(helpReads == 1, "the help text is read only when the metric is made")
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: nil, value: -1)?.contains("only goes up") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 0, name: "jobs_total", help: nil, value: .nan)?.contains("finite") == true)
        #expect(metrics.pluginMetric(plugin: "p", kind: 1, name: "jobs_total", help: nil, value: 1)?.contains("another kind") == true)
        #expect(metrics.pluginMetric(plugin: "q", kind: 0, name: "jobs_total", help: nil, value: 5) == nil, "another plugin's metric of the same name is its own")
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("plugin_p_jobs_total 3"))
        #expect(text.contains("plugin_q_jobs_total 5"))
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
