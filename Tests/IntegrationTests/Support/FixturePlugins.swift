import Foundation

/// Builds C plugins for the tests from `Fixtures/*.c` with the system C compiler, the way a
/// plugin author would: `cc -shared -fPIC` against plughost.h alone.
enum FixturePlugins {
    /// Compiles `source` with extra `-D` flags into `directory/libNAME.so`, against the current
    /// plughost.h or the one in `include` (a frozen or simulated header).
    @discardableResult
    static func build(_ source: String = "fixture_plugin.c", name: String, defines: [String] = [], include: URL? = nil, into directory: URL) throws -> URL {
        let output = directory.appending(path: "lib\(name).so")
        let arguments = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-pthread", "-I", (include ?? Paths.abiInclude).path]
            + defines.map { "-D\($0)" } + ["-o", output.path, Paths.fixtures.appending(path: source).path]
        let result = try run("cc", arguments)
        guard result.status == 0 else { throw FixtureError(message: "cc failed for \(name): \(result.combined)") }
        return output
    }

    /// Copies the Swift ExamplePlugin built by `swift build` into `directory`.
    static func installExample(into directory: URL) throws {
        guard FileManager.default.fileExists(atPath: Paths.examplePlugin.path) else {
            throw FixtureError(message: "\(Paths.examplePlugin.path) is missing: run `swift build` before `swift test` (scripts/test does)")
        }
        try FileManager.default.copyItem(at: Paths.examplePlugin, to: directory.appending(path: "libExamplePlugin.so"))
    }

    /// Builds the C example plugin with its own Makefile into `directory`.
    static func installCExample(into directory: URL) throws {
        let output = directory.appending(path: "libhello_c.so")
        let result = try run("make", ["-s", "-C", Paths.repository.appending(path: "Examples/c-plugin").path, "OUT=\(output.path)"])
        guard result.status == 0 else { throw FixtureError(message: "make failed: \(result.combined)") }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
