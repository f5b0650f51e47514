import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import NIOPosix
public import PlugHostConfig
public import PlugHostDocs
public import PlugHostKeys
import PlugHostObservability
public import PlugHostPlugins
import PlugHostRateLimit
public import PlugHostSockets
import PlugHostTLS
import ServiceLifecycle

/// The running host: configuration, loaded plugins, and the HTTP application built from them.
public struct HostServer: Sendable {
    public let config: HostConfig
    public let report: PluginLoadReport
    let registry: RouteRegistry
    let logger: Logger
    public let keys: KeyStore
    /// With `[auth] store = "redis://…"`: what keeps ``keys`` equal to the store.
    let keySync: RedisKeySync?
    let gate: RouteGate
    /// Each plugin's share of the blocking pool, and its calls running there (for shutdown).
    let blockingShares: BlockingShares
    /// The aggregated OpenAPI document; nil when `[docs] enabled = false`.
    public let apiDocument: APIDocument?
    /// Logged once the plugins' shutdown hooks have run; a worker names itself.
    public var stoppedMessage = "PlugHost stopped"

    /// Thrown when `[plugins] strict = true` and a plugin was refused or its docs could not be used.
    public struct StrictModeFailure: Error, CustomStringConvertible {
        public let failures: [PluginLoadError]
        public let docsWarnings: [DocsWarning]
        public var description: String {
            var problems: [String] = []
            if !failures.isEmpty { problems.append("\(failures.count) plugin(s) were refused") }
            if !docsWarnings.isEmpty { problems.append("\(docsWarnings.count) plugin OpenAPI description(s) could not be used") }
            return "[plugins] strict = true and \(problems.joined(separator: " and ")); not starting. Fix or remove them, or set strict = false."
        }
    }

    /// Loads the plugins of `[plugins] dir`, or of `plugins` when given (`plughost plugins test`,
    /// the test kit). Each refused plugin is logged as one line. `documents` makes the OpenAPI
    /// document: in this process, or in `plughost docs-build` for a worker (PlugHostWorker).
    public init(config: HostConfig, logger: Logger, plugins: PluginSource? = nil, documents: APIDocument.Maker) throws {
        // SIGHUP reloads keys once serving; until then it must not end the process (its default).
        signal(SIGHUP, SIG_IGN)
        HeapReturn.limitArenas()
        self.config = config
        self.logger = logger
        blockingShares = BlockingShares { [plugins = config.plugins, threads = config.server.blockingThreads] name in
            plugins.blockingShare(of: name, blockingThreads: threads)
        }
        let environmentHash = KeyStore.environmentHash(dotenv: config.resolve(config.auth.envFile))
        if let store = config.auth.redisStore {
            keys = try KeyStore(environmentHash: environmentHash, logger: logger)
            keySync = RedisKeySync(keys: keys, records: RedisKeyRecords(url: store, caFile: config.redisCAFile, timeout: config.auth.storeTimeout),
                                   interval: config.auth.reloadInterval, logger: logger)
        } else {
            keys = try KeyStore(file: KeyFile(url: config.resolve(config.auth.keysFile)), environmentHash: environmentHash, logger: logger)
            keySync = nil
        }
        gate = RouteGate(
            authenticator: Authenticator(keys: keys, headerName: HTTPField.Name(config.auth.header)!, logger: logger),
            limiter: RateLimiter(settings: config.rateLimit, redisCAFile: config.redisCAFile, logger: logger)
        )
        registry = .withBuiltins()
        let loader = PluginLoader(registry: registry, settings: config.plugins, logger: logger)
        report = loader.load(plugins ?? .directory(config.plugins.directory))
        for failure in report.failures {
            logger.error("\(failure)")
            if config.metrics.enabled { HostMetrics.shared.pluginLoadFailed(reason: failure.reason.rawValue) }
        }
        if config.metrics.enabled {
            HostMetrics.shared.pluginsLoaded(report.loaded.count)
            HostMetrics.shared.pluginCrashes(config.plugins.crashes, loaded: report.loaded.map(\.name))
        }
        for plugin in report.loaded {
            let middlewares = plugin.middlewares.isEmpty ? "" : ", middleware \(plugin.middlewares.map { "'\($0.name)'" }.joined(separator: ", "))"
            logger.info("loaded plugin '\(plugin.name)' \(plugin.version) from \(plugin.file): \(plugin.routes.count) route(s)\(middlewares)")
        }
        apiDocument = config.docs.enabled ? documents(Self.documentInput(config: config, report: report, gate: gate)) : nil
        warnAboutLikelyMistakes()
        let docsWarnings = apiDocument?.warnings ?? []
        for warning in docsWarnings { logger.warning("\(warning)") }
        if config.plugins.strict, !report.failures.isEmpty || !docsWarnings.isEmpty {
            throw StrictModeFailure(failures: report.failures, docsWarnings: docsWarnings)
        }
    }

    /// How the gate guards a plugin route: one answer for the router and the docs.
    static func rules(for route: PluginRoute, gate: RouteGate) -> RouteGate.Rules {
        gate.rules(method: route.method, servedPath: route.servedPath, plugin: route.pluginName,
                   requiresAuth: route.requiresAuth, scope: route.requiredScope, limited: route.isRateLimited, cost: route.rateCost)
    }

    private static func documentInput(config: HostConfig, report: PluginLoadReport, gate: RouteGate) -> DocsInput {
        DocsInput.make(config: config, report: report) { route in
            gate.rules(method: route.method, servedPath: route.servedPath, plugin: route.plugin,
                       requiresAuth: false, scope: nil, limited: route.limited, cost: route.cost).policy != nil
        }
    }

    /// Serves `listeners` until SIGINT or SIGTERM: HTTPS with HTTP/2 (ALPN) when `[tls] enabled`,
    /// else plain HTTP/1.1; plus the plain-HTTP redirect on `listeners.redirect`. `onDraining`: this
    /// process has stopped accepting connections and finishes the ones it has.
    public func run(listeners: Listeners, onDraining: @escaping @Sendable () -> Void = {},
                    onListening: @escaping @Sendable (Listening) -> Void = { _ in }) async throws {
        DescriptorLimit.raise(for: config.limits.maxConnections, logger: logger)
        HeapReturn.start(logger: logger)
        let events = ConnectionEvents(logger: logger, metrics: config.metrics.enabled ? HostMetrics.shared : nil)
        let grace = ShutdownGrace(seconds: config.server.shutdownGrace, logger: logger)
        let layers = makeHostMiddleware()
        let pool = NIOThreadPool(numberOfThreads: config.server.blockingThreads)
        pool.start()
        let responders = makeResponders(blockingPool: pool, grace: grace, layers: layers)
        let http1 = connectionConfiguration(events: events, grace: grace, layers: layers, fastRoutes: responders.fastRoutes)
        // The keys in force before the first request: a worker of a reload that says "ready"
        // must know the store's keys already (an unreachable store is logged, and retried).
        let watcher = keySync == nil ? KeyFileWatcher(keys: keys, interval: config.auth.reloadInterval) : nil
        await keySync?.refresh()
        keySync?.start()
        watcher?.start()
        defer {
            keySync?.stop()
            watcher?.stop()
        }

        let scheme = config.tls.enabled ? "https" : "http"
        let redirectPort = listeners.redirect?.port
        let mainPort = ListeningPort()
        let responder = responders.loop
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? 0
            mainPort.set(port)
            onListening(Listening(scheme: scheme, port: port, redirectPort: redirectPort))
        }
        // Past max_connections the listening socket is not read until one closes: every TCP
        // connection counts, TLS and HTTP/2 included, and the rest wait in the kernel's backlog.
        // A client address past max_connections_per_client is refused at once instead, and a
        // connection without a first request head within request_head_timeout is closed.
        let maxConnections = config.limits.maxConnections
        let admission = ConnectionAdmission(limits: config.limits, events: events)
        var services: [any Service]
        if config.tls.enabled {
            let channel = try HTTPSChannel(
                tlsConfiguration: TLSSetup.configuration(config.tls, config: config, logger: logger),
                limits: config.limits,
                events: events,
                streamConfiguration: http1,
                responder: responder
            )
            services = [ListenerService(socket: listeners.main, child: channel, maxConnections: maxConnections, logger: logger,
                                        onRunning: onRunning, onStoppedAccepting: onDraining, admission: admission, grace: grace)]
        } else {
            let channel = HostHTTP1Channel(responder: responder, configuration: http1)
            services = [ListenerService(socket: listeners.main, child: channel, maxConnections: maxConnections, logger: logger,
                                        onRunning: onRunning, onStoppedAccepting: onDraining, admission: admission, grace: grace)]
        }
        if let redirect = listeners.redirect {
            services.append(HTTPSRedirect.service(socket: redirect, httpsPort: mainPort, connection: http1, maxConnections: maxConnections,
                                                  admission: admission, grace: grace, logger: logger))
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // The grace itself is enforced by `grace` (answers, then closes); cancelling the services
        // is only the backstop for a connection task that would still not end.
        groupConfiguration.maximumGracefulShutdownDuration = .nanoseconds(Int64((config.server.shutdownGrace + ShutdownGrace.closeMargin + 1) * 1e9))
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            await stopPool(pool, grace: grace)
            throw error
        }
        let stillRunning = await stopPool(pool, grace: grace)
        shutDownPlugins(except: stillRunning)
    }

    /// What answers every request, from the connection's responder inwards: the same for a
    /// listening host and for one answering in process (``InProcessHost``).
    /// `layers`: the host's own layers, shared with the connections' static fast path (one cache).
    func makeResponder(blockingPool: NIOThreadPool, grace: ShutdownGrace?) -> HTTPChannelHandler.Responder {
        makeResponders(blockingPool: blockingPool, grace: grace, layers: makeHostMiddleware()).loop
    }

    /// What answers requests: Hummingbird's request loop (the router), and the plugin routes the
    /// connections' event-loop fast path serves itself; both through the same pipeline.
    struct Responders {
        let loop: HTTPChannelHandler.Responder
        let fastRoutes: PluginRouteTable
    }

    func makeResponders(blockingPool: NIOThreadPool, grace: ShutdownGrace?, layers: HostMiddleware) -> Responders {
        let pipeline = makePipeline(blockingPool: blockingPool)
        let plugins = pluginResponders(pipeline)
        let router = makeRouter(pipeline: pipeline, plugins: plugins, layers: layers)
        return Responders(loop: ConnectionResponder.make(router.buildResponder(), grace: grace, logger: logger), fastRoutes: PluginRouteTable(plugins))
    }

    /// Shuts the blocking pool down. Its threads are waited for while the grace lasts (a handler
    /// may still run after its request was answered: a 504 at handler_timeout, or the moment
    /// between its answer and its return); one still inside a plugin when the grace has run out
    /// cannot be stopped, and the process must exit anyway, so the pool is then not waited for.
    /// Returns the plugins with a call still running, and how many.
    @discardableResult
    func stopPool(_ pool: NIOThreadPool, grace: ShutdownGrace) async -> [String: Int] {
        grace.begin()
        while !blockingShares.pluginsRunning.isEmpty, !grace.hasExpired {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let stillRunning = blockingShares.pluginsRunning
        if stillRunning.isEmpty {
            try? await pool.shutdownGracefully()
        } else {
            // Queued work is refused (503) and the pool stops taking more; its threads are not waited for.
            pool.shutdownGracefully { _ in }
        }
        return stillRunning
    }

    /// `[limits]` on every connection: the decoder's head limits (431) and the ConnectionGuard's
    /// target length, timeouts and connection count; and what became of each response, for the
    /// request log (ResponseDelivery).
    private func connectionConfiguration(events: ConnectionEvents, grace: ShutdownGrace, layers: HostMiddleware, fastRoutes: PluginRouteTable) -> HTTP1Channel.Configuration {
        let limits = config.limits
        let securityHeaders = { () -> HTTPFields in
            var fields = HTTPFields()
            SecurityHeaders(config.securityHeaders).apply(to: &fields)
            return fields
        }()
        let logger = logger
        return HTTP1Channel.Configuration(
            // ResponseDelivery below the guard: it sees the guard's own writes (the promise of
            // the end the guard closes after), so no close overtakes a line it settles at a flush.
            additionalChannelHandlers: [ResponseDelivery(grace: grace),
                                        ConnectionGuard(limits: limits, securityHeaders: securityHeaders, logger: logger, events: events),
                                        EventLoopFastPath(layers: layers, routes: fastRoutes, grace: grace, events: events, logger: logger)],
            // The guard closes idle connections itself (idle_timeout), after a response has ended.
            idleTimeout: nil,
            // The decoder's bound keeps memory in check (HeaderDecodingBounds); the guard applies
            // the exact limits to each part.
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.http1HeadBytes, maxHeaderListSize: limits.http1HeadBytes,
                                            maxHeaderFieldCount: limits.maxHeaderCount + 1)
        )
    }

    /// Lets each plugin clean up, in the reverse of load order, once nothing calls it any more. A
    /// plugin with a call still running on a pool thread (`stillRunning`) is not shut down: its
    /// hook could free what that call still uses.
    func shutDownPlugins(except stillRunning: [String: Int]) {
        for plugin in report.loaded.reversed() where plugin.shutdownHook != nil {
            if let calls = stillRunning[plugin.name] {
                logger.warning("not shutting down plugin '\(plugin.name)': \(calls) of its call(s) still running after shutdown_grace; a plugin thread cannot be stopped, and the process exits with it")
                continue
            }
            logger.info("shutting down plugin '\(plugin.name)'")
            plugin.shutdown()
        }
        logger.notice("\(stoppedMessage)")
    }

    /// Every API route this host serves, built-in or plugin, as `(method, path as served)`.
    var servedAPIRoutes: [(method: String, servedPath: String)] {
        BuiltinRoutes.served(config).map { (method: $0.method, servedPath: $0.path) }
            + registry.routes.map { (method: $0.method, servedPath: $0.servedPath) }
    }

    /// The host's own layers around every route (``HostMiddleware``), made once per server.
    func makeHostMiddleware() -> HostMiddleware {
        let docsPages = apiDocument.map { _ in DocsPages(config.docs) }
        let staticDirectory = config.resolve(config.staticFiles.directory)
        let serveStatic = config.staticFiles.enabled && FileManager.default.fileExists(atPath: staticDirectory.path)
        return HostMiddleware(
            log: RequestLog(logger: logger, settings: config.logging, metrics: config.metrics.enabled ? HostMetrics.shared : nil),
            securityHeaders: SecurityHeaders(config.securityHeaders, pagePolicies: docsPages.map {
                [BuiltinRoutes.path(.swaggerUI): $0.swaggerPolicy, BuiltinRoutes.path(.redoc): $0.redocPolicy]
            } ?? [:]),
            cors: CORSPolicy(config.cors),
            errors: ErrorAnswers(notFoundPage: serveStatic ? NotFoundPage(directory: staticDirectory, spa: config.staticFiles.spa) : nil,
                                 allowedMethods: AllowedMethods(servedAPIRoutes)),
            staticFiles: serveStatic ? StaticFiles(directory: staticDirectory, cacheControl: config.staticFiles.cacheControl, logger: logger) : nil,
            logger: logger
        )
    }

    func makePipeline(blockingPool: NIOThreadPool) -> RoutePipeline {
        RoutePipeline(
            gate: gate, chain: MiddlewareChain(registry.middlewares, order: config.middleware.order),
            caller: PluginCaller(blockingPool: blockingPool, timeout: config.server.handlerTimeout, shares: blockingShares), logger: logger
        )
    }

    /// One responder per plugin route, made once.
    func pluginResponders(_ pipeline: RoutePipeline) -> [PluginRouteResponder] {
        registry.routes.map { route in
            PluginRouteResponder(
                route: route, pipeline: pipeline, rules: Self.rules(for: route, gate: gate), maxBodyBytes: route.maxBodyBytes.map { min($0, config.limits.maxRouteBodyBytes) } ?? config.limits.maxBodyBytes,
                metrics: config.metrics.enabled ? HostMetrics.shared.route(plugin: route.pluginName, route: route.servedPath, method: route.method) : nil
            )
        }
    }

    func makeRouter(pipeline: RoutePipeline, plugins: [PluginRouteResponder], layers: HostMiddleware) -> Router<HostRequestContext> {
        // HEAD on every GET route, as RFC 9110 §9.3.2 expects of a server that supports GET.
        let router = Router(context: HostRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: layers)
        let docsPages = apiDocument.map { _ in DocsPages(config.docs) }
        let docs: DocsRoutes? = if let apiDocument, let docsPages { DocsRoutes(document: apiDocument, pages: docsPages) } else { nil }
        BuiltinRouteHandlers.add(to: router, pipeline: pipeline, inventory: .init(config: config, report: report), docs: docs)
        for responder in plugins {
            router.on(RouterPath(responder.route.servedPath), method: HTTPRequest.Method(responder.route.method)!) { request, context in
                try await responder.respond(to: request, context: context)
            }
        }
        return router
    }
}
