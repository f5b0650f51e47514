import Foundation
import Testing

/// The ABI's promise: a plugin built against an older plughost.h of the same major keeps loading
/// on this host, and a newer one is refused by its minor, never by a size check that guesses.
/// The headers in `Fixtures/abi/1.N/` are frozen copies of each released version.
@Suite struct ABICompatibilityTests {
    static let frozen = ["1.0", "1.1", "1.2", "1.3", "1.4"]

    static func frozenHeader(_ version: String) -> URL { Paths.fixtures.appending(path: "abi/\(version)") }

    /// The current header with a `future` field appended to every struct a plugin writes and the
    /// minor raised by one: a plugin built against the next release, simulated.
    static func futureHeader() throws -> (directory: URL, minor: Int) {
        var text = try String(contentsOf: Paths.abiInclude.appending(path: "plughost.h"), encoding: .utf8)
        let current = try #require(text.firstMatch(of: /#define PH_ABI_MINOR (\d+)/)).1
        let minor = Int(current)! + 1
        text = text.replacingOccurrences(of: "#define PH_ABI_MINOR \(current)", with: "#define PH_ABI_MINOR \(minor)")
        for name in ["ph_magic_t", "ph_route_t", "ph_response_t", "ph_middleware_t"] {
            #expect(text.contains("} \(name);"))
            text = text.replacingOccurrences(of: "} \(name);", with: "    uint64_t future;\n} \(name);")
        }
        let directory = try makeTemporaryDirectory("future-header")
        try text.write(to: directory.appending(path: "plughost.h"), atomically: true, encoding: .utf8)
        return (directory, minor)
    }

    @Test func pluginsBuiltAgainstEveryReleasedHeaderLoadAndServe() throws {
        let site = try HostProcess.makeSite { plugins in
            for version in Self.frozen {
                try FixturePlugins.build("abi_fixture.c", name: "abi\(version)", include: Self.frozenHeader(version), into: plugins)
            }
            try FixturePlugins.build("abi_fixture.c", name: "abicurrent", into: plugins)
        }
        let host = try HostProcess(site: site)
        let current = try #require(try String(contentsOf: Paths.abiInclude.appending(path: "plughost.h"), encoding: .utf8)
            .firstMatch(of: /#define PH_ABI_MINOR (\d+)/)).1
        for minor in ["0", "1", "2", "3", "4", String(current)] {
            let answer = try HTTP.get("\(host.baseURL)/api/abi-v\(minor)/hello")
            #expect(answer.status == 200, "the plugin built against 1.\(minor): \(answer.text) \(host.output)")
            #expect(answer.text == "{\"built_against\": \"1.\(minor)\"}")
            // Middlewares exist from 1.3 on; each tags its own plugin's answers.
            let tagged = try run("curl", ["-s", "-D", "-", "-o", "/dev/null", "\(host.baseURL)/api/abi-v\(minor)/hello"]).output.lowercased()
            #expect(tagged.contains("x-abi-minor: \(minor)") == (Int(minor)! >= 3), "\(tagged)")
        }
        #expect(!host.output.contains("refused"), "\(host.output)")
    }

    @Test func aPluginBuiltForTheNextMinorIsRefusedByItsMinor() throws {
        let future = try Self.futureHeader()
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.build("abi_fixture.c", name: "future", defines: ["ABI_NAME=\"future\"", "ABI_FUTURE_FIELDS"], include: future.directory, into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.waitForOutput("the plugin needs a newer host: it has abi_minor = \(future.minor) (ABI 1.\(future.minor)), this host has abi_minor = \(future.minor - 1)"),
                "\(host.output)")
        #expect(try HTTP.get("\(host.baseURL)/api/hello").status == 200)
    }

    /// Built against the next header but declaring this host's minor: every struct is larger
    /// than the host knows, with garbage in the part it does not; all of it loads and serves.
    @Test func largerStructsFromANewerHeaderLoadAndTheirExtraFieldsAreIgnored() throws {
        let future = try Self.futureHeader()
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build("abi_fixture.c", name: "bigger", defines: ["ABI_NAME=\"bigger\"", "ABI_FUTURE_FIELDS", "ABI_DECLARE_MINOR=\(future.minor - 1)"],
                                     include: future.directory, into: plugins)
        }
        let host = try HostProcess(site: site)
        let answer = try HTTP.get("\(host.baseURL)/api/bigger/hello")
        #expect(answer.status == 200, "\(answer.text) \(host.output)")
        let headers = try run("curl", ["-s", "-D", "-", "-o", "/dev/null", "\(host.baseURL)/api/bigger/hello"]).output.lowercased()
        #expect(headers.contains("x-abi-minor: \(future.minor)"), "\(headers)")
    }

    @Test func aStructSmallerThanItsDeclaredMinorIsRefusedWithItsSizes() throws {
        // Declares 1.3 but fills ph_route_t as 1.0 did: a bug, not an old plugin.
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build("abi_fixture.c", name: "liar", defines: ["ABI_NAME=\"liar\"", "ABI_DECLARE_MINOR=3"],
                                     include: Self.frozenHeader("1.0"), into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.waitForOutput("route descriptor: ph_route_t has struct_size 64, smaller than its size in ABI 1.3 (80), the version the plugin declares"),
                "\(host.output)")
    }

    /// A middleware name clash has its own code from ABI 1.4 on; a 1.3 plugin still gets the one
    /// 1.3 hosts returned.
    @Test func aMiddlewareNameClashReturnsTheCodeOfTheDeclaredMinor() throws {
        let site = try HostProcess.makeSite { plugins in
            try FixturePlugins.build("abi_fixture.c", name: "twice13", defines: ["ABI_NAME=\"twice13\"", "ABI_DUPLICATE_MIDDLEWARE"],
                                     include: Self.frozenHeader("1.3"), into: plugins)
            try FixturePlugins.build("abi_fixture.c", name: "twicenow", defines: ["ABI_NAME=\"twicenow\"", "ABI_DUPLICATE_MIDDLEWARE"], into: plugins)
        }
        let host = try HostProcess(site: site)
        #expect(host.waitForOutput("second register_middleware returned 2 plugin=twice13"), "\(host.output)")
        #expect(host.waitForOutput("second register_middleware returned 8 plugin=twicenow"), "\(host.output)")
    }

    @Test func theCExampleBuildsAsCAndAsCPlusPlus() throws {
        let directory = try makeTemporaryDirectory("c-example")
        let example = Paths.repository.appending(path: "Examples/c-plugin").path
        let c = try run("make", ["-s", "-B", "-C", example, "OUT=\(directory.appending(path: "c.so").path)"])
        #expect(c.status == 0, "\(c.combined)")
        let cxx = try run("make", ["-s", "-B", "-C", example, "cxx", "OUT=\(directory.appending(path: "cxx.so").path)"])
        #expect(cxx.status == 0, "\(cxx.combined)")
        let symbols = try run("nm", ["-D", "--defined-only", directory.appending(path: "cxx.so").path]).output
        #expect(symbols.contains(" T ph_plugin_magic") && symbols.contains(" T ph_plugin_register"), "C linkage in C++: \(symbols)")
    }
}
