import Foundation
import Testing

/// Every way a plugin file can be refused: one precise log line each, the good plugins still served.
@Suite struct LoaderFailureTests {
    /// Starts a host whose plugins directory has the Swift example plus `broken`, and returns its output
    /// once it listens, after checking the example is still served.
    private func serveWithExample(config: String = "", _ broken: (URL) throws -> Void) throws -> HostProcess {
        let site = try HostProcess.makeSite(config: config) { plugins in
            try FixturePlugins.installExample(into: plugins)
            try broken(plugins)
        }
        let host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200, "the good plugin must still be served")
        return host
    }

    @Test func textFileIsRefusedAsNotASharedLibrary() throws {
        let host = try serveWithExample { plugins in
            try "just some text\n".write(to: plugins.appending(path: "libnotes.so"), atomically: true, encoding: .utf8)
        }
        #expect(host.output.contains("plugin libnotes.so refused: it is not a shared library (empty, truncated or another kind of file)"))
        #expect(host.output.contains("Build it as a shared library"))
    }

    /// Cut at the headers, in the middle (where dlopen itself would die of SIGBUS), and near the end.
    @Test(arguments: [200, 2, 100])
    func truncatedLibraryIsRefusedWithoutCrashingTheHost(keep: Int) throws {
        let host = try serveWithExample { plugins in
            let good = try FixturePlugins.build(name: "whole", into: plugins)
            let bytes = try Data(contentsOf: good)
            try FileManager.default.removeItem(at: good)
            let length = keep == 200 ? 200 : keep == 2 ? bytes.count / 2 : bytes.count - keep
            try bytes.prefix(length).write(to: plugins.appending(path: "libtruncated.so"))
        }
        #expect(host.output.contains("plugin libtruncated.so refused: it is truncated: ") || host.output.contains("plugin libtruncated.so refused: it is not a shared library"))
    }

    @Test func libraryWithoutEntryPointsIsRefused() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build("no_symbols.c", name: "nosymbols", into: plugins)
        }
        #expect(host.output.contains("plugin libnosymbols.so refused: it does not export the symbol 'ph_plugin_magic', so it is not a PlugHost plugin"))
    }

    @Test func missingDependencyIsNamed() throws {
        let host = try serveWithExample { plugins in
            let dependencyDirectory = try makeTemporaryDirectory("dep")
            let dependencySource = dependencyDirectory.appending(path: "dep.c")
            try "int plughost_test_dependency(void) { return 1; }\n".write(to: dependencySource, atomically: true, encoding: .utf8)
            let dependency = dependencyDirectory.appending(path: "libplughostdep.so")
            try run("cc", ["-shared", "-fPIC", "-o", dependency.path, dependencySource.path])
            let source = dependencyDirectory.appending(path: "user.c")
            try "int plughost_test_dependency(void);\nint use(void) { return plughost_test_dependency(); }\n".write(to: source, atomically: true, encoding: .utf8)
            try run("cc", ["-shared", "-fPIC", "-o", plugins.appending(path: "libneedsdep.so").path, source.path, "-L", dependencyDirectory.path, "-lplughostdep"])
            try FileManager.default.removeItem(at: dependencyDirectory)
        }
        #expect(host.output.contains("plugin libneedsdep.so refused: it depends on libplughostdep.so, which cannot be found"))
    }

    @Test func abiMajorMismatchShowsBothValues() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "future", defines: ["FIXTURE_NAME=\"future\"", "FIXTURE_ABI_MAJOR=2", "FIXTURE_ABI_MINOR=0"], into: plugins)
        }
        #expect(host.output.contains("plugin libfuture.so refused: incompatible ABI: the plugin has abi_major = 2 (ABI 2.0), this host has abi_major = 1 (ABI 1.5)"))
    }

    @Test func newerABIMinorIsRefused() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "newer", defines: ["FIXTURE_NAME=\"newer\"", "FIXTURE_ABI_MINOR=9"], into: plugins)
        }
        #expect(host.output.contains("plugin libnewer.so refused: the plugin needs a newer host: it has abi_minor = 9 (ABI 1.9), this host has abi_minor = 5 (ABI 1.5)"))
    }

    @Test func swiftPluginFromAnotherToolchainIsRefused() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "oldswift", defines: ["FIXTURE_NAME=\"oldswift\"", "FIXTURE_SWIFT_VERSION=50900"], into: plugins)
        }
        #expect(host.output.contains("plugin liboldswift.so refused: incompatible build: swift_version: plugin was built with Swift 5.9.0, host with Swift"))
        #expect(host.output.contains("Rebuild the plugin with the host's toolchain"))
    }

    @Test func failedRegistrationShowsThePluginsOwnMessage() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "failing", defines: ["FIXTURE_NAME=\"failing\"", "FIXTURE_FAIL_REGISTRATION"], into: plugins)
        }
        #expect(host.output.contains("plugin libfailing.so refused: its registration failed: fixture refuses to start: missing setting 'token'"))
    }

    @Test func invalidPathTemplateRefusesThePluginAndKeepsNoneOfItsRoutes() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "badpath", defines: ["FIXTURE_NAME=\"badpath\"", "FIXTURE_PREFIX=\"/badpath\"", "FIXTURE_BAD_TEMPLATE"], into: plugins)
        }
        #expect(host.output.contains("plugin libbadpath.so refused: route GET /badpath/bad/{id: invalid path template: segment '{id' must be a whole '{name}'"))
        #expect(try HTTP.get("\(host.baseURL)/api/badpath/async").status == 404)
    }

    @Test func secondPluginWithTheSameRouteIsRefusedWhole() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "first", defines: ["FIXTURE_NAME=\"first\"", "FIXTURE_PREFIX=\"/shared\""], into: plugins)
            try FixturePlugins.build(name: "second", defines: ["FIXTURE_NAME=\"second\"", "FIXTURE_PREFIX=\"/shared\""], into: plugins)
        }
        #expect(host.output.contains("plugin libsecond.so refused: route GET /api/shared/async is already registered by plugin 'first' (libfirst.so)"))
        // The first plugin serves; nothing of the second stays.
        #expect(try HTTP.get("\(host.baseURL)/api/shared/config").status == 200)
        #expect(!host.output.contains("loaded plugin 'second'"))
    }

    @Test func pluginCannotShadowABuiltInRoute() throws {
        let host = try serveWithExample { plugins in
            try FixturePlugins.build(name: "shadow", defines: ["FIXTURE_NAME=\"shadow\"", "FIXTURE_PREFIX=\"\""], into: plugins)
            // The fixture's routes are /async, /never, ... under an empty prefix: none is /health, so add one that is.
            let source = plugins.appending(path: "health.c")
            try """
                #include "plughost.h"
                static const ph_magic_t m = {sizeof(ph_magic_t), PH_ABI_MAJOR, PH_ABI_MINOR, "health", "1", "", PH_RUNTIME_NONE, 0, PH_BUILD_TARGET};
                static void h(ph_call_t *c, const ph_request_t *r, void *u) { (void)c; (void)r; (void)u; }
                PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { return &m; }
                PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *p) {
                    ph_route_t r = {sizeof(ph_route_t), "GET", "/health", PH_ROUTE_NON_BLOCKING, h, 0, 0, 0};
                    return api->register_route(p, &r);
                }
                """.write(to: source, atomically: true, encoding: .utf8)
            try run("cc", ["-std=c11", "-shared", "-fPIC", "-I", Paths.abiInclude.path, "-o", plugins.appending(path: "libhealth.so").path, source.path])
            try FileManager.default.removeItem(at: source)
        }
        #expect(host.output.contains("plugin libhealth.so refused: route GET /api/health is already registered by the host's built-in routes"))
        #expect(try HTTP.get("\(host.baseURL)/api/health").json()["message"] as? String == "PlugHost is running.")
    }

    @Test func worldWritablePluginFileIsRefusedWithTheFix() throws {
        var path = ""
        let host = try serveWithExample { plugins in
            path = try FixturePlugins.build(name: "loose", defines: ["FIXTURE_NAME=\"loose\""], into: plugins).path
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        }
        #expect(host.output.contains("plugin libloose.so refused: it is writable by anyone (mode 777)"))
        #expect(host.output.contains("Run: chmod go-w \(path)"))
        #expect(try HTTP.get("\(host.baseURL)/api/fixture/config").status == 404)
    }

    @Test func groupWritablePluginsDirectoryRefusesEveryPlugin() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FileManager.default.setAttributes([.posixPermissions: 0o775], ofItemAtPath: plugins.path)
        }
        let host = try HostProcess(site: site)
        #expect(host.output.contains("plugin libExamplePlugin.so refused: the plugins directory \(site.appending(path: "plugins").path) is writable by its group"))
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 404)
    }

    @Test func insecurePermissionsCanBeAllowedForDevelopment() throws {
        let site = try HostProcess.makeSite(config: "[plugins]\nallow_insecure_permissions = true\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: plugins.appending(path: "libExamplePlugin.so").path)
        }
        let host = try HostProcess(site: site)
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }

    @Test func pinnedHashMustMatch() throws {
        let wrong = String(repeating: "ab", count: 32)
        let site = try HostProcess.makeSite(config: "[plugins.example]\nsha256 = \"\(wrong)\"\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        let actual = try run("sh", ["-c", "sha256sum '\(site.appending(path: "plugins/libExamplePlugin.so").path)' | cut -d' ' -f1"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let host = try HostProcess(site: site)
        #expect(host.output.contains("plugin libExamplePlugin.so refused: its SHA-256 is \(actual), but [plugins.example] sha256 pins \(wrong)"))
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 404)

        let pinned = try HostProcess.makeSite(config: "[plugins.example]\nsha256 = \"\(actual)\"\ngreeting = \"pinned\"\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        let good = try HostProcess(site: pinned)
        #expect(try HTTP.get("\(good.baseURL)/api/hello").json()["message"] as? String == "pinned")
    }

    @Test func strictModeMakesAnyRefusalFatal() throws {
        let site = try HostProcess.makeSite(config: "[plugins]\nstrict = true\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
            try "not a library".write(to: plugins.appending(path: "libbroken.so"), atomically: true, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try run(Paths.plughost.path, ["serve", "--config", site.appending(path: "host.toml").path, "--port", "0"])
        #expect(result.status != 0)
        #expect(result.combined.contains("plugin libbroken.so refused"))
        #expect(result.combined.contains("strict = true"))
    }
}
