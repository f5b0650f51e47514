@testable import PlugHostPlugins
import Testing

/// dlerror() texts measured on Linux, and the advice each one must turn into.
@Suite struct DlopenErrorClassificationTests {
    @Test(arguments: [
        ("/p/x.so: file too short", PluginLoadError.Reason.notASharedLibrary, "not a shared library"),
        ("/p/x.so: invalid ELF header", .notASharedLibrary, "not a shared library"),
        ("/p/x.so: cannot dynamically load position-independent executable", .notASharedLibrary, "an executable"),
        ("/p/x.so: undefined symbol: host_function", .undefinedSymbol, "'host_function'"),
        ("libdep.so: cannot open shared object file: No such file or directory", .missingDependency, "libdep.so"),
        ("/p/x.so: wrong ELF class: ELFCLASS32", .incompatibleBuild, "another architecture"),
    ])
    func classifies(_ text: String, _ reason: PluginLoadError.Reason, _ phrase: String) {
        let error = PluginLibrary.classify(text, file: "x.so")
        #expect(error.reason == reason)
        #expect(error.description.contains(phrase))
        #expect(error.description.contains(text), "the raw dlerror text is kept for the expert")
    }
}

@Suite struct BuildSignatureTests {
    let host = BuildSignature(swiftVersion: 60301, swiftRuntime: 1, target: "x86_64-linux")

    @Test func cPluginOnTheSameTargetIsCompatible() {
        #expect(host.incompatibility(with: BuildSignature(swiftVersion: 0, swiftRuntime: 0, target: "x86_64-linux")) == nil)
    }

    @Test func swiftPluginFromTheSameToolchainIsCompatible() {
        #expect(host.incompatibility(with: host) == nil)
    }

    @Test func otherSwiftVersionNamesBothVersions() throws {
        let problem = try #require(host.incompatibility(with: BuildSignature(swiftVersion: 60200, swiftRuntime: 1, target: "x86_64-linux")))
        #expect(problem.field.contains("Swift 6.2.0, host with Swift 6.3.1"))
    }

    @Test func staticRuntimePluginIsRefused() throws {
        let problem = try #require(host.incompatibility(with: BuildSignature(swiftVersion: 60301, swiftRuntime: 2, target: "x86_64-linux")))
        #expect(problem.field.contains("two Swift runtimes"))
    }

    @Test func otherTargetIsRefused() throws {
        let problem = try #require(host.incompatibility(with: BuildSignature(swiftVersion: 0, swiftRuntime: 0, target: "aarch64-linux")))
        #expect(problem.field.contains("aarch64-linux"))
    }
}
