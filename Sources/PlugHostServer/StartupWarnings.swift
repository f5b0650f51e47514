import PlugHostConfig

extension HostServer {
    /// Logs configurations that start but almost certainly do not do what the operator meant.
    func warnAboutLikelyMistakes() {
        for name in config.plugins.settingsJSON.keys.sorted() where !report.loaded.contains(where: { $0.name == name }) {
            logger.warning("host.toml has a [plugins.\(name)] table but no loaded plugin is named '\(name)'; check the spelling (plughost plugins inspect FILE shows a plugin's name)")
        }
        let served = Set(registry.routes.map { "\($0.method) \($0.servedPath)" } + BuiltinRoutes.all.map { "\($0.method) \($0.path)" })
        for route in config.rateLimit.routeRates.keys.sorted() where !served.contains(route) {
            logger.warning("[rate_limit.routes] names \"\(route)\", which no loaded plugin serves; write it as METHOD and the path template as served, e.g. \"GET /api/hello/{name}\"")
        }
        for route in registry.routes {
            guard let policy = gate.limiter.policy(method: route.method, servedPath: route.servedPath, plugin: route.pluginName,
                                                   limited: route.isRateLimited, cost: route.rateCost),
                  let smallest = policy.rates.map(\.count).min(), route.rateCost > smallest else { continue }
            logger.warning("\(route.method) \(route.servedPath) costs \(route.rateCost) units but its policy allows only \(smallest) per window: every call will be refused with 429. Raise the limit or lower the route's cost.")
        }
        let middlewareNames = Set(registry.middlewares.map(\.name))
        for name in config.middleware.order where !middlewareNames.contains(name) {
            logger.warning("[middleware] order names \"\(name)\", which no loaded plugin registers; it is skipped (plughost plugins inspect FILE lists a plugin's middlewares)")
        }
        let protected = registry.routes.filter(\.requiresAuth).count
        if protected > 0, keys.keyCount == 0 {
            logger.warning("\(protected) route(s) require an API key but none is configured; create one with: plughost keys new --name NAME")
        }
    }
}
