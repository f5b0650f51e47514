import Foundation
@testable import PlugHostPlugins
import Testing

/// The layout table must be what the released headers really compile to: each frozen header
/// (and the current one) is compiled with the system C compiler and its sizes compared.
@Suite struct ABILayoutTests {
    static let tests = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let headers: [(minor: Int, directory: URL)] = (0...4).map {
        ($0, tests.appending(path: "IntegrationTests/Fixtures/abi/1.\($0)"))
    } + [(5, tests.deletingLastPathComponent().appending(path: "Sources/PlugHostABI/include"))]

    /// `sizeof` of each struct of `ABILayout.PluginStruct` that the header at `directory` declares.
    private func compiledSizes(_ directory: URL) throws -> [ABILayout.PluginStruct: Int] {
        let work = FileManager.default.temporaryDirectory.appending(path: "abi-sizes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let program = """
            #include "plughost.h"
            #include <stdio.h>
            int main(void) {
                printf("ph_magic_t %zu\\nph_route_t %zu\\nph_response_t %zu\\n", sizeof(ph_magic_t), sizeof(ph_route_t), sizeof(ph_response_t));
            #if PH_ABI_MINOR >= 3
                printf("ph_middleware_t %zu\\n", sizeof(ph_middleware_t));
            #endif
                return 0;
            }
            """
        try program.write(to: work.appending(path: "sizes.c"), atomically: true, encoding: .utf8)
        for (tool, arguments) in [("cc", ["-std=c11", "-I", directory.path, "-o", work.appending(path: "sizes").path, work.appending(path: "sizes.c").path]),
                                  (work.appending(path: "sizes").path, [])] {
            let process = Process()
            process.executableURL = URL(filePath: "/usr/bin/env")
            process.arguments = [tool] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(tool) failed")
            if arguments.isEmpty {
                var sizes: [ABILayout.PluginStruct: Int] = [:]
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    let parts = line.split(separator: " ")
                    sizes[ABILayout.PluginStruct(rawValue: String(parts[0]))!] = Int(parts[1])
                }
                return sizes
            }
        }
        return [:]
    }

    @Test func theTableMatchesEveryReleasedHeader() throws {
        for header in Self.headers {
            let compiled = try compiledSizes(header.directory)
            for kind in ABILayout.PluginStruct.allCases {
                #expect(ABILayout.sizes[kind]![header.minor] == compiled[kind], "\(kind.rawValue) in ABI 1.\(header.minor)")
            }
        }
        #expect(ABILayout.sizes.values.allSatisfy { $0.count == Self.headers.count }, "one column per released minor")
    }

    @Test func aStructIsAcceptedFromTheSizeOfTheMinorItsPluginDeclares() {
        #expect(ABILayout.problem(size: 64, of: .route, declaredMinor: 0) == nil)
        #expect(ABILayout.problem(size: 72, of: .route, declaredMinor: 1) == nil)
        #expect(ABILayout.problem(size: 80, of: .route, declaredMinor: 3) == nil)
        #expect(ABILayout.problem(size: 200, of: .route, declaredMinor: 4) == nil, "a newer plugin's larger struct")
        #expect(ABILayout.problem(size: 64, of: .route, declaredMinor: 1)
            == "ph_route_t has struct_size 64, smaller than its size in ABI 1.1 (72), the version the plugin declares")
        #expect(ABILayout.problem(size: 64, of: .middleware, declaredMinor: 2)
            == "ph_middleware_t is new in ABI 1.3, but the plugin declares ABI 1.2 in its magic block")
    }
}
