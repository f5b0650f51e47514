import Foundation
import PlugHostDocs
import PlugHostDocsBuilder
@testable import PlugHostWorker
import Testing

/// A worker's OpenAPI document is made by a `plughost docs-build` child (full Foundation stays out
/// of the worker). The real child must make exactly what the in-process builder makes; a child
/// that fails, hangs, stops reading or answers nonsense must cost the docs only, quickly.
@Suite struct DocsBuilderProcessTests {
    /// The `plughost` binary built beside this test binary.
    static let plughost = URL(filePath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        .deletingLastPathComponent().appending(path: "plughost").path

    static func input(routes: Int = 3, fragment: String = #"{"summary": "One item", "responses": {"200": {"description": "ok"}}}"#) -> DocsInput {
        let enforcement = DocsInput.Enforcement(requiresAuth: true, scope: "admin", rateLimited: true, storeOutageRefuses: false, pluginHandler: true)
        return DocsInput(
            info: .init(title: "Test API", version: "2.0.0", description: "Ünïcode \"quoted\" / slashed"),
            authHeader: "X-API-Key",
            hostRoutes: [.init(kind: "health", method: "GET", path: "/api/health", enforcement: .init())],
            plugins: [.init(name: "shop", version: "1.2.3", description: "A shop", file: "libshop.so",
                            openAPIComponents: #"{"schemas": {"Item": {"type": "object"}}}"#, openAPIComponentsProblem: nil,
                            routes: (0..<routes).map { index in
                                .init(method: "GET", servedPath: "/api/shop/items\(index)/{id}", parameterNames: ["id"], openAPIJSON: fragment,
                                      enforcement: enforcement)
                            })]
        )
    }

    /// What a shell script standing in for `plughost docs-build` makes of ``input()``.
    static func made(by script: String, timeLimit: Duration = .seconds(5), input: DocsInput = input()) throws -> APIDocument {
        let file = FileManager.default.temporaryDirectory.appending(path: "docs-build-\(UUID().uuidString).sh")
        try "#!/bin/sh\n\(script)\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return DocsBuilderProcess(executable: file.path, timeLimit: timeLimit).make(input)
    }

    @Test func theChildMakesExactlyWhatTheProcessMakes() throws {
        let input = Self.input()
        let inProcess = DocsBuilder.build(input)
        let made = DocsBuilderProcess(executable: Self.plughost).make(input)
        #expect(made.json == inProcess.json)
        #expect(made.etag == inProcess.etag)
        #expect(made.warnings.map(\.description) == inProcess.warnings.map(\.description))
        #expect(String(decoding: made.json, as: UTF8.self).contains("shop.get_api_shop_items0_id"))
    }

    @Test func warningsAboutAPluginsDocsComeBackFromTheChild() throws {
        let input = Self.input(fragment: #"{"responses": "not an object"}"#)
        let made = DocsBuilderProcess(executable: Self.plughost).make(input)
        #expect(made.warnings.count == 3)
        #expect(made.warnings.map(\.description) == DocsBuilder.build(input).warnings.map(\.description))
        guard case .operation(let plugin, let file, _) = made.warnings.first?.subject else {
            Issue.record("expected an operation warning, got \(made.warnings)")
            return
        }
        #expect(plugin == "shop" && file == "libshop.so")
    }

    @Test func theDocumentAndItsWarningsSurviveTheirJSON() throws {
        let document = DocsBuilder.build(Self.input(fragment: "[1, 2]"))
        let decoded = try JSONDecoder().decode(APIDocument.self, from: JSONEncoder().encode(document))
        #expect(decoded.json == document.json && decoded.etag == document.etag)
        #expect(decoded.warnings.map(\.description) == document.warnings.map(\.description))
        #expect(try JSONDecoder().decode(DocsInput.self, from: JSONEncoder().encode(Self.input())) == Self.input())
    }

    /// Whatever goes wrong, the answer is a valid document without paths and one warning saying why.
    func expectUnavailable(_ document: APIDocument, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(document.warnings.count == 1, sourceLocation: sourceLocation)
        guard case .unavailable = document.warnings.first?.subject else {
            Issue.record("expected the document to be unavailable, got \(document.warnings)", sourceLocation: sourceLocation)
            return
        }
        #expect(document.warnings[0].description.contains(text), "\(document.warnings[0])", sourceLocation: sourceLocation)
        let object = try? JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any]
        #expect((object?["paths"] as? [String: Any])?.isEmpty == true, sourceLocation: sourceLocation)
        #expect((object?["info"] as? [String: Any])?["title"] as? String == "Test API", sourceLocation: sourceLocation)
        #expect(document.etag.count == 34, sourceLocation: sourceLocation)
    }

    @Test func aChildThatFailsCostsTheDocsOnly() throws {
        let made = try Self.made(by: "cat > /dev/null; echo 'boom' >&2; exit 3")
        expectUnavailable(made, mentioning: "wait status")
    }

    @Test func aChildThatAnswersNonsenseCostsTheDocsOnly() throws {
        let made = try Self.made(by: #"cat > /dev/null; printf '{"json": 5}'"#)
        expectUnavailable(made, mentioning: "not a document")
    }

    @Test func aChildThatStopsReadingCannotHoldTheWorker() throws {
        // Far more than a pipe holds: the worker must not block writing it.
        let input = Self.input(routes: 2_000, fragment: "{\"summary\": \"\(String(repeating: "x", count: 400))\"}")
        let started = ContinuousClock.now
        let made = try Self.made(by: "exit 0", input: input)
        expectUnavailable(made, mentioning: "could not make it")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aChildThatHangsIsKilledAtTheTimeLimit() throws {
        // `exec`: the child itself sleeps, with a duration no other test uses, to find it by.
        let commandLine = "sleep\u{0}37.25\u{0}"
        let started = ContinuousClock.now
        let made = try Self.made(by: "cat > /dev/null; exec sleep 37.25", timeLimit: .milliseconds(500))
        expectUnavailable(made, mentioning: "took longer")
        #expect(ContinuousClock.now - started < .seconds(5))
        // Killed and reaped, not left behind.
        let survivors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) == commandLine
        } ?? []
        #expect(survivors.isEmpty)
    }

    @Test func aChildThatAnswersButDoesNotEndIsKilledAtTheTimeLimit() throws {
        // A whole document, then its output closed, then no exit.
        let document = FileManager.default.temporaryDirectory.appending(path: "docs-build-\(UUID().uuidString).json")
        try JSONEncoder().encode(DocsBuilder.build(Self.input())).write(to: document)
        defer { try? FileManager.default.removeItem(at: document) }
        let started = ContinuousClock.now
        let made = try Self.made(by: "cat > /dev/null; cat '\(document.path)'; exec >&-; exec sleep 37.5", timeLimit: .milliseconds(800))
        expectUnavailable(made, mentioning: "did not end within")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aBuilderThatDoesNotExistCostsTheDocsOnly() {
        expectUnavailable(DocsBuilderProcess(executable: "/nonexistent/plughost").make(Self.input()), mentioning: "cannot start it")
    }
}
