import Foundation
import Testing

/// What `plughost check` refuses that it used to pass or misname: a plugins directory that does
/// not exist, and a plugin built for another architecture.
@Suite struct CheckRefusalTests {
    @Test func checkRefusesAPluginsDirectoryThatDoesNotExist() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "host.toml")
        try "[plugins]\ndir = \"no-such-plugins\"\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(Paths.plughost.path, ["check", "--config", file.path])
        #expect(result.status == 2, "\(result.combined)")
        #expect(!result.output.contains("configuration: ok"), "\(result.combined)")
        #expect(result.error.contains("no-such-plugins does not exist ([plugins] dir)"), "\(result.combined)")
    }

    @Test func checkRefusesAPluginBuiltForAnotherArchitectureAsSuch() throws {
        let site = try HostProcess.makeSite { plugins in
            let library = try FixturePlugins.build(name: "foreign", into: plugins)
            var bytes = try Data(contentsOf: library)
            // The ELF header's e_machine (little-endian, offset 18): a machine that is not this one.
            #if arch(x86_64)
            let foreign: UInt16 = 183  // EM_AARCH64
            #else
            let foreign: UInt16 = 62  // EM_X86_64
            #endif
            bytes[18] = UInt8(foreign & 0xFF)
            bytes[19] = UInt8(foreign >> 8)
            try bytes.write(to: library)
        }
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try run(Paths.plughost.path, ["check", "--config", site.appending(path: "host.toml").path])
        #expect(result.status == 1, "\(result.combined)")
        // Before: glibc skips such a file as absent, and the host said "it cannot be opened".
        #expect(result.output.contains("plugin libforeign.so refused: it was built for another architecture"), "\(result.combined)")
    }
}
