import Foundation

/// Where the things under test are: the repository, the built binaries, the ABI header.
enum Paths {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The build products directory: the one holding this test binary (e.g. `.build/debug`).
    static let binaries: URL = {
        if let override = ProcessInfo.processInfo.environment["PLUGHOST_BIN_DIR"] { return URL(filePath: override) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(filePath: executable).deletingLastPathComponent()
    }()

    static var plughost: URL { binaries.appending(path: "plughost") }
    static var examplePlugin: URL { binaries.appending(path: "libExamplePlugin.so") }
    static var abiInclude: URL { repository.appending(path: "Sources/PlugHostABI/include") }
    static var fixtures: URL { repository.appending(path: "Tests/IntegrationTests/Fixtures") }
}
