import FoundationEssentials
import Glibc
import PlugHostPlugins

/// `GET /api/plugins`: every plugin file looked at, loaded or refused, as an operator needs it.
struct PluginInventory: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        struct Route: Encodable, Sendable {
            let method: String
            let path: String
            let authRequired: Bool
            let scope: String?
            let rateLimited: Bool
            let nonBlocking: Bool
            let cost: Int
        }

        let file: String
        let state: String
        let sha256: String?
        let name: String?
        let version: String?
        let description: String?
        let abi: String?
        let build: String?
        let routes: [Route]
        struct Middleware: Encodable, Sendable {
            let name: String
            let requestHook: Bool
            let responseHook: Bool
            let pathPrefixes: [String]
            let ownRoutesOnly: Bool
            let nonBlocking: Bool
        }

        let middlewares: [Middleware]
        let reason: String?
        let detail: String?
    }

    let abi: String
    let host: String
    /// Every plugin middleware, in the order they run on a request.
    let middlewareOrder: [String]
    let plugins: [Entry]

    init(report: PluginLoadReport, middlewareOrder: [String]) {
        self.middlewareOrder = middlewareOrder
        abi = "\(PlugHostABIVersion.major).\(PlugHostABIVersion.minor)"
        host = BuildSignature.host.description
        let loaded = report.loaded.map { plugin in
            Entry(
                file: plugin.file, state: "loaded", sha256: plugin.sha256, name: plugin.name, version: plugin.version,
                description: plugin.description, abi: "\(plugin.abiMajor).\(plugin.abiMinor)", build: plugin.build.description,
                routes: plugin.routes.map {
                    Entry.Route(method: $0.method, path: $0.servedPath, authRequired: $0.requiresAuth, scope: $0.requiredScope,
                                rateLimited: $0.isRateLimited, nonBlocking: $0.isNonBlocking, cost: $0.rateCost)
                },
                middlewares: plugin.middlewares.map {
                    Entry.Middleware(name: $0.name, requestHook: $0.hasRequestHook, responseHook: $0.hasResponseHook,
                                     pathPrefixes: $0.pathPrefixes, ownRoutesOnly: $0.ownRoutesOnly, nonBlocking: $0.isNonBlocking)
                },
                reason: nil, detail: nil
            )
        }
        let refused = report.failures.map { failure in
            Entry(file: failure.file, state: failure.reason == .quarantined ? "quarantined" : "refused", sha256: report.fileHashes[failure.file], name: nil, version: nil,
                  description: nil, abi: nil, build: nil, routes: [], middlewares: [], reason: failure.reason.rawValue,
                  detail: "\(failure.cause). \(failure.fix).")
        }
        plugins = (loaded + refused).sorted { $0.file < $1.file }
    }
}
