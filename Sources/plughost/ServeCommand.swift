import ArgumentParser
import Foundation
import Logging
import PlugHostConfig
import PlugHostDocsBuilder
import PlugHostObservability
import PlugHostServer
import PlugHostSockets
import PlugHostSupervisor
import PlugHostWorker

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
            // Before anything starts NIO's event loops, which take their count at their first use.
            logger.info("\(EventLoopCount.configure(config.server))")
            let listeners = try bindOrExit(config, logger: logger)
            try await serveHost(config: config, logger: logger, listeners: listeners, documents: DocsBuilder.build) { listening, plugins in
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
