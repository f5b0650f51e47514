import ArgumentParser
import Foundation
import PlugHostDocs
import PlugHostDocsBuilder
import PlugHostPlugins
import PlugHostWorker
import PlugHostWorkerLink

/// The plugin half of `plughost check`, in the process `check` starts and watches
/// (LoaderProcess): loads every plugin, builds the API document, and prints what it found.
struct CheckLoaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-loader",
        abstract: "Load the plugins for plughost check (started by it).",
        shouldDisplay: false
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Plugins refused without being opened, as JSON from plughost check.")
    var refuse: String?

    func run() throws {
        // First: from here on a crash or an exit in plugin code is recorded with the call, and
        // every end this command chooses (a refusal's status 1 included) is noted as its own.
        try WorkerRuntime.attachCrashRecord()
        defer { WorkerRuntime.noteHostExit() }
        let config = try options.load()
        // Ctrl-C ends `check`; a plugin that hangs must not keep this process alive after it.
        WorkerRuntime.whenParentIsGone { kill(getpid(), SIGKILL) }
        let refusals = try refuse.map { try JSONDecoder().decode([PluginLoadError].self, from: Data($0.utf8)) } ?? []
        let loader = PluginLoader(registry: RouteRegistry.withBuiltins(), settings: config.plugins, logger: quietLogger(), refusing: refusals)
        let report = loader.loadDirectory(config.plugins.directory)
        for plugin in report.loaded {
            let middlewares = plugin.middlewares.isEmpty ? "" : ", middleware \(plugin.middlewares.map(\.name).joined(separator: ", "))"
            print("plugin \(plugin.file): ok, '\(plugin.name)' \(plugin.version), \(plugin.routes.count) route(s)\(middlewares)")
        }
        for failure in report.failures {
            print("\(failure)")
        }
        for warning in report.warnings {
            print("warning: \(warning)")
        }
        // The same document `serve` builds, so broken plugin docs show up here, in CI, too.
        let docsWarnings = config.docs.enabled
            ? DocsBuilder.build(DocsInput.make(config: config, report: report) { $0.limited && config.rateLimit.enabled }).warnings : []
        for warning in docsWarnings {
            print("docs warning: \(warning)")
        }
        print("\(report.loaded.count) plugin(s) ok, \(report.failures.count) refused, \(docsWarnings.count) docs warning(s)")
        if !report.failures.isEmpty || (config.plugins.strict && !docsWarnings.isEmpty) { throw ExitCode(1) }
    }
}
