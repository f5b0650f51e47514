import ArgumentParser
import Foundation
import PlugHostCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load the plugins and serve HTTP until SIGINT or SIGTERM (the default command)."
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Address to bind, overriding [server] host.")
    var host: String?

    @Option(name: .long, help: "Port to bind, overriding [server] port (0 picks a free port).")
    var port: Int?

    func run() async throws {
        var config = try options.load()
        if let host { config.server.host = host }
        if let port {
            guard (0...65535).contains(port) else {
                printError("--port must be from 0 to 65535, got \(port)")
                throw ExitCode(2)
            }
            config.server.port = port
        }
        let logger = try options.bootstrapLogging(config)
        let server: HostServer
        do {
            server = try HostServer(config: config, logger: logger)
        } catch let error as ConfigError {
            logger.critical("configuration error: \(error)")
            throw ExitCode(2)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let host = config.server.host
        let plugins = server.report.loaded.count
        do {
            try await server.run { listening in
                let shownHost = host.contains(":") ? "[\(host)]" : host
                let base = "\(listening.scheme)://\(shownHost):\(listening.port)"
                logger.notice("PlugHost listening on \(base) with \(plugins) plugin(s); try \(base)/api/health")
                if let redirect = listening.redirectPort {
                    logger.notice("plain HTTP on port \(redirect) redirects to \(base)")
                }
            }
        } catch let error as ListenFailure {
            logger.critical("\(error)")
            throw ExitCode(1)
        } catch let error as TLSSetup.Failure {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
