import ArgumentParser
import Foundation
import Logging
import PlugHostConfig
import PlugHostObservability

@main
struct PlugHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plughost",
        abstract: "A Swift server host that loads plugins (.so) at start and serves their routes under /api.",
        subcommands: [ServeCommand.self, ReloadCommand.self, StatusCommand.self, CheckCommand.self, PluginsCommand.self, KeysCommand.self, WorkerCommand.self,
                      CheckLoaderCommand.self, PluginTestRunnerCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// `--config`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to host.toml. Default: ./host.toml if it exists, else built-in defaults.")
    var config: String?

    @Option(name: .long, help: "Log level, overriding [logging] level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    /// Loads the configuration, or prints the error (file, line, key) and exits with status 2.
    func load() throws -> HostConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Installs console and file logging from `[logging]`, with `--log-level` applied.
    func bootstrapLogging(_ config: HostConfig, toSupervisor: Int32? = nil, console: Int32 = STDOUT_FILENO) throws -> Logger {
        var settings = config.logging
        if let logLevel {
            guard Logger.Level(rawValue: logLevel) != nil else {
                printError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
                throw ExitCode(2)
            }
            settings.level = logLevel
        }
        do {
            return try LoggingSetup.bootstrap(settings, baseDirectory: config.baseDirectory, toSupervisor: toSupervisor, console: console)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `--host` and `--port`, for `serve` and the workers it starts.
struct AddressOptions: ParsableArguments {
    @Option(name: .long, help: "Address to bind, overriding [server] host.")
    var host: String?

    @Option(name: .long, help: "Port to bind, overriding [server] port (0 picks a free port).")
    var port: Int?
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
