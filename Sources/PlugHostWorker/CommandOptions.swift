public import ArgumentParser
import Glibc
public import Logging
public import PlugHostConfig
import PlugHostObservability

/// `--config`, shared by every subcommand.
public struct ConfigOption: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "Path to host.toml. Default: ./host.toml if it exists, else built-in defaults.")
    public var config: String?

    @Option(name: .long, help: "Log level, overriding [logging] level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String?

    /// Loads the configuration, or prints the error (file, line, key) and exits with status 2.
    public func load() throws -> HostConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Installs console and file logging from `[logging]`, with `--log-level` applied.
    public func bootstrapLogging(_ config: HostConfig, toSupervisor: Int32? = nil, console: Int32 = 1 /* standard output */) throws -> Logger {
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
public struct AddressOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "Address to bind, overriding [server] host.")
    public var host: String?

    @Option(name: .long, help: "Port to bind, overriding [server] port (0 picks a free port).")
    public var port: Int?
}

/// A line on standard error: for what goes wrong before logging is set up.
public func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}
