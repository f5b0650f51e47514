import Foundation
import Testing

/// A supervisor runs its workers as `plughost-worker`, a binary without full Foundation (its ICU
/// data and libFoundation kept about 12 MB of every worker resident: docs/PERFORMANCE.md), whose
/// OpenAPI document `plughost docs-build` makes. What users see must not change.
@Suite struct WorkerBinaryTests {
    static func site() throws -> URL {
        try HostProcess.makeSite(config: "[docs]\ntitle = \"Worker binary\"\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
            try FixturePlugins.installCExample(into: plugins)
        }
    }

    static func executable(of pid: Int32) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// The shared libraries `pid` has mapped, by file name.
    static func libraries(of pid: Int32) throws -> Set<String> {
        // Read to its end: /proc files say they are empty, and a read by size gets nothing.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(pid)/maps"))
        defer { try? handle.close() }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(!maps.isEmpty)
        return Set(maps.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map { String($0.split(separator: "/").last ?? "") }
        }.filter { $0.contains(".so") })
    }

    @Test func aWorkerRunsWithoutFullFoundationAndServesTheSameDocumentAsTheSingleProcess() throws {
        let site = try Self.site()
        let supervised = try HostProcess(site: site)
        let worker = try #require(supervised.servingWorker(), "a serving worker")
        #expect(try Self.executable(of: worker).hasSuffix("/plughost-worker"))
        let libraries = try Self.libraries(of: worker)
        // Both plugins are loaded in it, the Swift one with the SDK: neither brings Foundation back.
        #expect(libraries.contains("libExamplePlugin.so"), "\(libraries.sorted())")
        #expect(libraries.contains("libFoundationEssentials.so"), "\(libraries.sorted())")
        for library in ["libFoundation.so", "lib_FoundationICU.so", "libFoundationInternationalization.so"] {
            #expect(!libraries.contains(library), "the worker maps \(library): \(libraries.sorted())")
        }
        let fromChild = try HTTP.get("\(supervised.baseURL)/api/openapi.json")
        #expect(fromChild.status == 200)

        // The same site in one process builds its document in process: the bytes must be equal.
        let single = try HostProcess(site: site, arguments: ["--no-supervisor"])
        let inProcess = try HTTP.get("\(single.baseURL)/api/openapi.json")
        #expect(inProcess.status == 200)
        #expect(fromChild.body == inProcess.body)
        #expect(fromChild.headers["etag"] == inProcess.headers["etag"] && fromChild.headers["etag"] != nil)
        let document = try #require(try JSONSerialization.jsonObject(with: fromChild.body) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(paths["/api/hello/{name}"] != nil && paths["/api/c/hello"] != nil, "\(paths.keys.sorted())")
        #expect((document["info"] as? [String: Any])?["title"] as? String == "Worker binary")
        #expect(!supervised.output.contains("could not be made"), "\(supervised.output)")
    }

    @Test func withoutTheWorkerBinaryBesideItTheSupervisorRunsItsOwnWorkerCommand() throws {
        // A plughost copied alone, as an operator might install it.
        let directory = try makeTemporaryDirectory("plughost-alone")
        defer { try? FileManager.default.removeItem(at: directory) }
        let alone = directory.appending(path: "plughost")
        try FileManager.default.copyItem(at: Paths.plughost, to: alone)
        let site = try Self.site()
        let host = try HostProcess(site: site, executable: alone)
        let answer = try HTTP.get("\(host.baseURL)/api/openapi.json")
        #expect(answer.status == 200)
        let document = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect((document["paths"] as? [String: Any])?["/api/hello/{name}"] != nil)
        let workers = childProcesses(of: host.pid)
        #expect(workers.count == 1)
        for worker in workers { #expect(try Self.executable(of: worker) == alone.path) }
    }
}
