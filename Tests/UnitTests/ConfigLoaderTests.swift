import Foundation
@testable import PlugHostConfig
import Testing

@Suite struct ConfigLoaderTests {
    let base = URL(filePath: "/srv/site")

    private func parse(_ text: String) throws(ConfigError) -> HostConfig {
        try ConfigLoader.parse(text, file: "host.toml", baseDirectory: base)
    }

    private func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFileGivesTheDefaults() throws {
        let config = try parse("")
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 443)
        #expect(config.tls.enabled)
        #expect(config.plugins.directory.path == "/srv/site/plugins")
        #expect(config.plugins.strict == false)
        #expect(config.limits.maxBodyBytes == 1_048_576)
    }

    @Test func eventLoopsDefaultsToAutomaticAndRejectsNegativeAndHugeCounts() throws {
        #expect(try parse("").server.eventLoops == 0)
        #expect(try parse("[server]\nevent_loops = 3\n").server.eventLoops == 3)
        #expect(error("[server]\nevent_loops = -1\n")?.message == "expected an integer from 0 to 1024, got -1")
        #expect(error("[server]\nevent_loops = 5000\n")?.message == "expected an integer from 0 to 1024, got 5000")
        #expect(error("[server]\nevent_loops = \"auto\"\n")?.key == "server.event_loops")
    }

    @Test func relativePluginsDirResolvesAgainstTheConfigFilesDirectory() throws {
        #expect(try parse("[plugins]\ndir = \"../shared/plugins\"\n").plugins.directory.path == "/srv/shared/plugins")
        #expect(try parse("[plugins]\ndir = \"/opt/plugins\"\n").plugins.directory.path == "/opt/plugins")
    }

    @Test func pluginTablesBecomeJSONForThePluginOfThatName() throws {
        let config = try parse("[plugins.example]\ngreeting = \"hi\"\ncount = 3\nflags = [true, false]\n")
        let json = try JSONSerialization.jsonObject(with: Data(config.plugins.json(for: "example").utf8)) as? [String: Any]
        #expect(json?["greeting"] as? String == "hi")
        #expect(json?["count"] as? Int == 3)
        #expect(json?["flags"] as? [Bool] == [true, false])
        #expect(config.plugins.json(for: "absent") == "{}")
    }

    @Test func maxConcurrencyIsTheHostsAndDefaultsToThreeQuartersOfThePool() throws {
        let config = try parse("[server]\nblocking_threads = 32\n[plugins.slow]\nmax_concurrency = 5\ntoken = \"t\"\n")
        #expect(config.plugins.blockingShare(of: "slow", blockingThreads: 32) == 5)
        #expect(config.plugins.blockingShare(of: "other", blockingThreads: 32) == 24)
        #expect(config.plugins.blockingShare(of: "other", blockingThreads: 2) == 2)
        let json = try JSONSerialization.jsonObject(with: Data(config.plugins.json(for: "slow").utf8)) as? [String: Any]
        #expect(json?.keys.sorted() == ["token"], "the host's key is not handed to the plugin")
        #expect(error("[plugins.slow]\nmax_concurrency = 0\n")?.description == "host.toml:2: key 'plugins.slow.max_concurrency': expected an integer from 1 to 4096, got 0")
    }

    @Test func wrongTypeNamesKeyAndLine() {
        let error = error("[server]\nhost = \"0.0.0.0\"\nport = true\n")
        #expect(error?.line == 3)
        #expect(error?.key == "server.port")
        #expect(error?.description == "host.toml:3: key 'server.port': expected an integer from 0 to 65535, got a boolean (true)")
    }

    @Test func outOfRangeValueNamesKeyAndLine() {
        let error = error("\n\n[server]\nport = 70000\n")
        #expect(error?.line == 4)
        #expect(error?.message == "expected an integer from 0 to 65535, got 70000")
    }

    @Test func unknownKeyListsTheAcceptedOnes() {
        let error = error("[server]\nhost = \"x\"\nprot = 1\n")
        #expect(error?.line == 3)
        #expect(error?.key == "server.prot")
        #expect(error?.message.contains("blocking_threads, event_loops, handler_timeout, host, http_port, max_body_size, port") == true)
    }

    @Test func unknownTableIsReported() {
        let error = error("[server]\n[tsl]\nenabled = true\n")
        #expect(error?.key == "tsl")
        #expect(error?.line == 2)
    }

    @Test func nonTableValueInPluginsIsReported() {
        let error = error("[plugins]\ndir = \"p\"\nexample = 3\n")
        #expect(error?.key == "plugins.example")
        #expect(error?.line == 3)
    }

    @Test func syntaxErrorCarriesItsLine() {
        let error = error("[server]\nport = = 3\n")
        #expect(error?.line == 2)
        #expect(error?.message.hasPrefix("not valid TOML") == true)
    }

    @Test func syntaxErrorsNameTheirColumnToo() {
        #expect(error("[server]\nport = = 3\n")?.description == "host.toml:2:8: not valid TOML: expected a value, found '='")
        #expect(error("[server]\nport = 1\n[server]\n")?.description == "host.toml:3:2: not valid TOML: the table [server] is defined twice; first on line 1")
    }

    @Test func aPluginTableKeepsEveryKindOfValueInItsJSON() throws {
        let config = try parse("""
            [plugins.example]
            ratio = 0.5
            limit = nan
            since = 1979-05-27T07:32:00Z
            name = "tab\\there \\"quoted\\""
            [plugins.example.nested]
            list = [1, "two", { three = 3 }]
            """)
        let json = config.plugins.json(for: "example")
        #expect(json == #"{"ratio": 0.5, "limit": "NaN", "since": "1979-05-27T07:32:00Z", "name": "tab\there \"quoted\"", "nested": {"list": [1, "two", {"three": 3}]}}"#)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil)
    }

    @Test func keysInsideInlineTablesAreLocatedOnTheirOwnLine() {
        let error = error("[server]\nhost = \"x\"\n\n[plugins]\nexample = { rate = \"fast\" }\n")
        #expect(error?.key == "plugins.example.rate")
        #expect(error?.line == 5)
    }

    @Test func dottedKeysAreLocated() {
        let error = error("server.port = \"x\"\n")
        #expect(error?.line == 1)
        #expect(error?.key == "server.port")
    }

    @Test func handlerTimeoutAcceptsIntegersAndFractions() throws {
        #expect(try parse("[server]\nhandler_timeout = 2\n").server.handlerTimeout == 2)
        #expect(try parse("[server]\nhandler_timeout = 0.25\n").server.handlerTimeout == 0.25)
        #expect(error("[server]\nhandler_timeout = 0\n")?.key == "server.handler_timeout")
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/host.toml") }
    }
}
