import ArgumentParser
public import Logging
public import PlugHostConfig
public import PlugHostDocs
import PlugHostServer
public import PlugHostSockets

/// Loads the plugins and serves `listeners` until SIGTERM/SIGINT: the host itself, in a worker or
/// in the only process. `onListening` gets the address and the number of plugins loaded.
/// `onFailure` hears why the host could not start, before the command exits. `documents` makes
/// the OpenAPI document (``HostServer``).
public func serveHost(config: HostConfig, logger: Logger, listeners: Listeners, documents: APIDocument.Maker,
                      stoppedMessage: String = "PlugHost stopped",
                      onFailure: (String) -> Void = { _ in }, onDraining: @escaping @Sendable () -> Void = {},
                      onListening: @escaping @Sendable (Listening, Int) -> Void) async throws {
    var server: HostServer
    do {
        server = try HostServer(config: config, logger: logger, documents: documents)
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
