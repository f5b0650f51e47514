import Foundation

/// The outcome of a finished command.
struct CommandResult {
    let status: Int32
    let output: String
    let error: String
    var combined: String { output + error }
}

/// Runs a command to completion and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, input: Data? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(filePath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = directory }
    let outputFile = FileManager.default.temporaryDirectory.appending(path: "out-\(UUID().uuidString)")
    let errorFile = FileManager.default.temporaryDirectory.appending(path: "err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: errorFile)
    }
    // Files, not pipes: a chatty command can never block on a full pipe buffer.
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    if let input {
        let inputFile = FileManager.default.temporaryDirectory.appending(path: "in-\(UUID().uuidString)")
        try input.write(to: inputFile)
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
    }
    try process.run()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
        error: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    )
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String = "plughost") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appending(path: "\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
