import Foundation
import Testing

/// `plughost check`, `plughost plugins inspect`, and the C header's portability.
@Suite struct CommandLineTests {
    @Test func checkAcceptsTheShippedHostToml() throws {
        let result = try run(Paths.plughost.path, ["check", "--config", Paths.repository.appending(path: "host.toml").path])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.output.contains("configuration: ok"))
    }

    @Test func checkNamesKeyAndLineOfABadValue() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "host.toml")
        try "# comment\n[server]\nhost = \"127.0.0.1\"\nport = \"eighty\"\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(Paths.plughost.path, ["check", "--config", file.path])
        #expect(result.status == 2)
        #expect(result.error.contains("\(file.path):4: key 'server.port': expected an integer from 0 to 65535, got a string (\"eighty\")"))
    }

    @Test func checkNamesAnUnknownKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "host.toml")
        try "[server]\nport = 8080\n\n[plugins]\nstrikt = true\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(Paths.plughost.path, ["check", "--config", file.path])
        #expect(result.status == 2)
        #expect(result.error.contains(":5: key 'plugins.strikt': unknown key in [plugins]"))
    }

    @Test func checkFailsWhenAPluginIsRefused() throws {
        let site = try HostProcess.makeSite { plugins in
            try "text".write(to: plugins.appending(path: "libtext.so"), atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try run(Paths.plughost.path, ["check", "--config", site.appending(path: "host.toml").path])
        #expect(result.status == 1)
        #expect(result.output.contains("0 plugin(s) ok, 1 refused"))
    }

    @Test func inspectPrintsIdentityBuildAndRoutes() throws {
        let result = try run(Paths.plughost.path, ["plugins", "inspect", Paths.examplePlugin.path])
        #expect(result.status == 0, "\(result.combined)")
        #expect(result.output.contains("name:        example"))
        #expect(result.output.contains("abi:         1.5"))
        #expect(result.output.contains("shared Swift runtime"))
        #expect(result.output.contains("GET     /api/hello/{name}"))
        #expect(result.output.contains("POST    /api/echo"))
        let sha = try #require(result.output.components(separatedBy: "sha256:").last?.split(separator: "\n").first)
        #expect(sha.trimmingCharacters(in: .whitespaces).count == 64)
    }

    @Test func headerCompilesWarningFreeAsC11() throws {
        let result = try run("cc", ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c",
                                    Paths.abiInclude.appending(path: "plughost.h").path])
        #expect(result.status == 0, "\(result.combined)")
    }

    @Test func headerCompilesWarningFreeAsCPlusPlus() throws {
        let result = try run("c++", ["-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c++",
                                     Paths.abiInclude.appending(path: "plughost.h").path])
        #expect(result.status == 0, "\(result.combined)")
    }
}
