import ArgumentParser
import Foundation
import Logging
import PlugHostDocs
import PlugHostKeys
import PlugHostPlugins

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate host.toml and load every plugin without serving. Exit 0 when all is well."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try options.load()
        print("configuration: ok (\(config.plugins.directory.path))")
        do {
            let keys = try KeyStore(file: KeyFile(url: config.resolve(config.auth.keysFile)),
                                    environmentHash: KeyStore.environmentHash(dotenv: config.resolve(config.auth.envFile)), logger: quietLogger())
            print("api keys: ok (\(keys.keyCount))")
        } catch {
            printError("key file error: \(error)")
            throw ExitCode(2)
        }
        let loader = PluginLoader(registry: RouteRegistry.withBuiltins(), settings: config.plugins, logger: quietLogger())
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
            ? APIDocument.make(config: config, report: report) { $0.limited && config.rateLimit.enabled }.warnings : []
        for warning in docsWarnings {
            print("docs warning: \(warning)")
        }
        print("\(report.loaded.count) plugin(s) ok, \(report.failures.count) refused, \(docsWarnings.count) docs warning(s)")
        if !report.failures.isEmpty || (config.plugins.strict && !docsWarnings.isEmpty) { throw ExitCode(1) }
    }
}

/// Plugin log lines would drown the report of `check` and `inspect`; only errors are shown.
func quietLogger() -> Logger {
    var logger = Logger(label: "plughost", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .error
    return logger
}
