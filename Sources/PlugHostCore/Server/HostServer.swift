import Foundation
import Hummingbird
public import Logging
import NIOCore
import NIOPosix

/// The running host: configuration, loaded plugins, and the HTTP application built from them.
public struct HostServer: Sendable {
    public let config: HostConfig
    public let report: PluginLoadReport
    let registry: RouteRegistry
    let logger: Logger

    /// Thrown when `[plugins] strict = true` and a plugin was refused.
    public struct StrictModeFailure: Error, CustomStringConvertible {
        public let failures: [PluginLoadError]
        public var description: String {
            "[plugins] strict = true and \(failures.count) plugin(s) were refused; not starting. Fix or remove them, or set strict = false."
        }
    }

    /// Loads the plugins named by `config`. Each refused plugin is logged as one line.
    public init(config: HostConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        registry = .withBuiltins()
        let loader = PluginLoader(registry: registry, settings: config.plugins, logger: logger)
        report = loader.loadDirectory(config.plugins.directory)
        for failure in report.failures {
            logger.error("\(failure)")
        }
        for plugin in report.loaded {
            logger.info("loaded plugin '\(plugin.name)' \(plugin.version) from \(plugin.file): \(plugin.routes.count) route(s)")
        }
        if config.plugins.strict, !report.failures.isEmpty {
            throw StrictModeFailure(failures: report.failures)
        }
    }

    /// Serves until SIGINT or SIGTERM. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let pool = NIOThreadPool(numberOfThreads: config.server.blockingThreads)
        pool.start()

        let application = Application(
            router: makeRouter(blockingPool: pool),
            configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: nil),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
        do {
            try await application.runService()
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        try? await pool.shutdownGracefully()
    }

    func makeRouter(blockingPool: NIOThreadPool) -> Router<HostRequestContext> {
        let router = Router(context: HostRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        BuiltinRoutes.add(to: router)
        for route in registry.routes {
            let responder = PluginRouteResponder(
                route: route, blockingPool: blockingPool,
                timeout: config.server.handlerTimeout, maxBodyBytes: config.server.maxBodyBytes
            )
            router.on(RouterPath(route.servedPath), method: HTTPRequest.Method(route.method)!) { request, context in
                try await responder.respond(to: request, context: context)
            }
        }
        return router
    }
}
