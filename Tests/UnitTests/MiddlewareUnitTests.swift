import HTTPTypes
@testable import PlugHostConfig
@testable import PlugHostPlugins
@testable import PlugHostServer
import Testing

@Suite struct MiddlewareUnitTests {
    func middleware(_ name: String, plugin: String, prefixes: [String] = [], ownRoutes: Bool = false) -> PluginMiddleware {
        PluginMiddleware(name: name, pluginName: plugin, pluginFile: "lib\(plugin).so", recordIndex: -1, flags: ownRoutes ? 2 : 0, pathPrefixes: prefixes,
                         onRequest: nil, onResponse: nil, userData: nil, abiMinor: 3)
    }

    @Test func listedFirstInTheirOrderThenTheRestByPluginName() {
        let chain = MiddlewareChain([
            middleware("z1", plugin: "zeta"), middleware("a2", plugin: "alpha"), middleware("m", plugin: "mid"), middleware("a1", plugin: "alpha"),
        ], order: ["m", "missing"])
        #expect(chain.ordered.map(\.name) == ["m", "a2", "a1", "z1"])
    }

    @Test func prefixesMatchWholeSegments() {
        let admin = middleware("x", plugin: "p", prefixes: ["/api/admin"])
        #expect(admin.applies(to: "/api/admin", routePlugin: nil))
        #expect(admin.applies(to: "/api/admin/users", routePlugin: "q"))
        #expect(!admin.applies(to: "/api/administrator", routePlugin: nil))
        #expect(!admin.applies(to: "/api/hello", routePlugin: nil))
    }

    @Test func ownRoutesOnlyLeavesOtherPluginsAndBuiltinsAlone() {
        let own = middleware("x", plugin: "p", ownRoutes: true)
        #expect(own.applies(to: "/api/p/a", routePlugin: "p"))
        #expect(!own.applies(to: "/api/q/a", routePlugin: "q"))
        #expect(!own.applies(to: "/api/health", routePlugin: nil))
    }

    /// The protected names (a header edit on one is refused) are matched by length, then name.
    @Test func protectedHeaderNamesAreFoundInAnyCaseAndOnlyThey() {
        let protected = AnswerFraming.hostOwnedHeaders.union([HTTPField.Name("X-API-Key")!])
        for name in ["content-length", "Content-Length", "x-api-key", "TE", "proxy-connection", "Transfer-Encoding"] {
            #expect(protected.contains(HTTPField.Name(name)!), "\(name)")
        }
        // Same lengths as members, other names; lengths no member has; a prefix of a member.
        for name in ["content-lengtx", "x-api-kez", "tf", "x-request-id", "t", "content", "a-header-name-longer-than-every-protected-one"] {
            #expect(!protected.contains(HTTPField.Name(name)!), "\(name)")
        }
        #expect(!AnswerFraming.hostOwnedHeaders.contains(HTTPField.Name("x-api-key")!))
    }

    @Test func orderWithABadOrRepeatedNameIsAConfigError() {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[middleware]\norder = [\"Bad Name\"]\n", file: "host.toml", baseDirectory: .init(filePath: "/")) }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[middleware]\norder = [\"a\", \"a\"]\n", file: "host.toml", baseDirectory: .init(filePath: "/")) }
    }
}
