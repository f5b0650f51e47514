import ArgumentParser
import Foundation
import Logging
import PlugHostCore

@main
struct PlugHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plughost",
        abstract: "A Swift server host that loads plugins (.so) at start and serves their routes under /api.",
        subcommands: [ServeCommand.self, CheckCommand.self, PluginsCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// `--config`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to host.toml. Default: ./host.toml if it exists, else built-in defaults.")
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    /// Loads the configuration, or prints the error (file, line, key) and exits with status 2.
    func load() throws -> HostConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
    }

    func bootstrapLogging() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            printError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "plughost")
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
