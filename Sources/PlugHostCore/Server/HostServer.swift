import Foundation
import HTTPTypes
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
    public let keys: KeyStore
    let gate: RouteGate

    /// Thrown when `[plugins] strict = true` and a plugin was refused.
    public struct StrictModeFailure: Error, CustomStringConvertible {
        public let failures: [PluginLoadError]
        public var description: String {
            "[plugins] strict = true and \(failures.count) plugin(s) were refused; not starting. Fix or remove them, or set strict = false."
        }
    }

    /// Loads the plugins named by `config`. Each refused plugin is logged as one line.
    public init(config: HostConfig, logger: Logger) throws {
        // SIGHUP reloads keys once serving; until then it must not end the process (its default).
        signal(SIGHUP, SIG_IGN)
        self.config = config
        self.logger = logger
        keys = try KeyStore(
            file: KeyFile(url: config.resolve(config.auth.keysFile)),
            environmentHash: KeyStore.environmentHash(dotenv: config.resolve(config.auth.envFile)),
            logger: logger
        )
        gate = RouteGate(
            authenticator: Authenticator(keys: keys, headerName: HTTPField.Name(config.auth.header)!, logger: logger),
            limiter: RateLimiter(settings: config.rateLimit, logger: logger)
        )
        registry = .withBuiltins()
        let loader = PluginLoader(registry: registry, settings: config.plugins, logger: logger)
        report = loader.loadDirectory(config.plugins.directory)
        for failure in report.failures {
            logger.error("\(failure)")
        }
        for plugin in report.loaded {
            logger.info("loaded plugin '\(plugin.name)' \(plugin.version) from \(plugin.file): \(plugin.routes.count) route(s)")
        }
        for name in config.plugins.settingsJSON.keys.sorted() where !report.loaded.contains(where: { $0.name == name }) {
            logger.warning("host.toml has a [plugins.\(name)] table but no loaded plugin is named '\(name)'; check the spelling (plughost plugins inspect FILE shows a plugin's name)")
        }
        for route in config.rateLimit.routeRates.keys.sorted() where !registry.routes.contains(where: { "\($0.method) \($0.servedPath)" == route }) && route != "GET /api/login" {
            logger.warning("[rate_limit.routes] names \"\(route)\", which no loaded plugin serves; write it as METHOD and the path template as served, e.g. \"GET /api/hello/{name}\"")
        }
        let protected = registry.routes.filter(\.requiresAuth).count
        if protected > 0, keys.keyCount == 0 {
            logger.warning("\(protected) route(s) require an API key but none is configured; create one with: plughost keys new --name NAME")
        }
        if config.plugins.strict, !report.failures.isEmpty {
            throw StrictModeFailure(failures: report.failures)
        }
    }

    /// Serves until SIGINT or SIGTERM. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let pool = NIOThreadPool(numberOfThreads: config.server.blockingThreads)
        pool.start()
        let watcher = KeyFileWatcher(keys: keys, interval: config.auth.reloadInterval)
        watcher.start()
        defer { watcher.stop() }

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
        // Outermost first: the log sees every answer, the headers land on every answer (errors
        // included), CORS preflights stop before auth and plugins, and errors become JSON inside all.
        router.add(middleware: RequestLogMiddleware(logger: logger, settings: config.logging))
        router.add(middleware: SecurityHeadersMiddleware(config.securityHeaders))
        router.add(middleware: CORSPolicyMiddleware(config.cors))
        router.add(middleware: JSONErrorMiddleware())
        BuiltinRoutes.add(to: router, gate: gate)
        for route in registry.routes {
            let responder = PluginRouteResponder(
                route: route, blockingPool: blockingPool,
                timeout: config.server.handlerTimeout, maxBodyBytes: config.server.maxBodyBytes, gate: gate,
                rules: gate.rules(method: route.method, servedPath: route.servedPath, plugin: route.pluginName,
                                  requiresAuth: route.requiresAuth, scope: route.requiredScope, limited: route.isRateLimited, cost: route.rateCost)
            )
            router.on(RouterPath(route.servedPath), method: HTTPRequest.Method(route.method)!) { request, context in
                try await responder.respond(to: request, context: context)
            }
        }
        return router
    }
}
