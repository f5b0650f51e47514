import ArgumentParser
import Foundation
import Logging
import PlugHostConfig
import PlugHostObservability
import PlugHostServer
import PlugHostSockets
import PlugHostSupervisor

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve HTTP until SIGINT or SIGTERM (the default command).",
        discussion: """
        A supervisor process binds the sockets and runs the host in worker processes: a worker that \
        crashes is replaced, `plughost reload` (or SIGHUP) loads new plugins and host.toml without \
        dropping a request. See docs/OPERATIONS.md.
        """
    )

    @OptionGroup var options: ConfigOption

    @OptionGroup var address: AddressOptions

    @Flag(name: .long, help: "Serve from this one process, without a supervisor (as [server] supervise = false).")
    var noSupervisor = false

    func run() async throws {
        if let port = address.port, !(0...65535).contains(port) {
            printError("--port must be from 0 to 65535, got \(port)")
            throw ExitCode(2)
        }
        let launch = LaunchOptions(configPath: options.config, host: address.host, port: address.port, logLevel: options.logLevel)
        var loaded: HostConfig
        do {
            loaded = try launch.loadConfig()
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
        if noSupervisor { loaded.supervisor.enabled = false }
        let config = loaded
        let logger = try options.bootstrapLogging(config)
        guard config.supervisor.enabled else {
            let listeners = try bindOrExit(config, logger: logger)
            try await serveHost(config: config, logger: logger, listeners: listeners) { listening, plugins in
                listening.announce(host: config.server.host, plugins: plugins, logger: logger)
            }
            return
        }
        let status: Int32
        do {
            status = try await Supervisor(launch: launch, config: config, logger: logger, fileSink: LoggingSetup.fileSink).run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

func bindOrExit(_ config: HostConfig, logger: Logger) throws -> Listeners {
    do {
        return try Listeners.bind(config)
    } catch {
        logger.critical("\(error)")
        throw ExitCode(1)
    }
}

/// Loads the plugins and serves `listeners` until SIGTERM/SIGINT: the host itself, in a worker or
/// in the only process. `onListening` gets the address and the number of plugins loaded.
/// `onFailure` hears why the host could not start, before the command exits.
func serveHost(config: HostConfig, logger: Logger, listeners: Listeners,
               stoppedMessage: String = "PlugHost stopped",
               onFailure: (String) -> Void = { _ in }, onDraining: @escaping @Sendable () -> Void = {},
               onListening: @escaping @Sendable (Listening, Int) -> Void) async throws {
    AllocatorTuning.apply()
    var server: HostServer
    do {
        server = try HostServer(config: config, logger: logger)
        server.stoppedMessage = stoppedMessage
    } catch let error as ConfigError {
        logger.critical("configuration error: \(error)")
        onFailure("configuration error: \(error)")
        throw ExitCode(2)
    } catch {
        logger.critical("\(error)")
        onFailure("\(error)")
        throw ExitCode(1)
    }
    let plugins = server.report.loaded.count
    do {
        try await server.run(listeners: listeners, onDraining: onDraining) { listening in onListening(listening, plugins) }
    } catch {
        logger.critical("\(error)")
        onFailure("\(error)")
        throw ExitCode(1)
    }
}
