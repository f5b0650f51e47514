import ArgumentParser
import Foundation
import PlugHostDocs
import PlugHostDocsBuilder
import PlugHostWorker

/// Makes the OpenAPI document for a worker (PlugHostWorker's DocsBuilderProcess): a `DocsInput`
/// as JSON on standard input, the `APIDocument` as JSON on standard output. Here, and not in the
/// worker, because OpenAPIKit needs full Foundation.
struct DocsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs-build",
        abstract: "Make the OpenAPI document from a worker's description of its routes (started by workers).",
        shouldDisplay: false
    )

    func run() throws {
        let request = FileHandle.standardInput.readDataToEndOfFile()
        let input: DocsInput
        do {
            input = try JSONDecoder().decode(DocsInput.self, from: request)
        } catch {
            printError("docs-build: standard input is not a description of the document's routes (\(request.count) bytes): \(error)")
            throw ExitCode(2)
        }
        FileHandle.standardOutput.write(try JSONEncoder().encode(DocsBuilder.build(input)))
    }
}
