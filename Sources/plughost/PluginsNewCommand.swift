import ArgumentParser
import Foundation
import PlugHostConfig
import PlugHostWorker
import PlugHostWorkerLink

/// `plughost plugins new NAME`: writes a plugin project of its own, outside this repository,
/// that builds with one command and has one documented route and one test.
struct PluginNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a new plugin project (Swift or C) with one documented route and one test.",
        discussion: """
            A Swift project depends on PlugHostSDK and PlugHostTesting: by path when this plughost \
            runs from a PlugHost checkout (or --sdk-path names one), else by URL and version. A C \
            project gets a copy of plughost.h from the checkout.
            """
    )

    enum Language: String, ExpressibleByArgument, CaseIterable {
        case swift, c
    }

    @Argument(help: "The plugin's name: 1-64 of a-z, 0-9, '-' and '_', starting with a letter. It names [plugins.NAME] and the routes' prefix.")
    var name: String

    @Option(help: "swift or c.")
    var lang: Language = .swift

    @Option(help: "The directory to write the project into (must be empty or absent). Default: ./NAME.")
    var dir: String?

    @Option(name: .customLong("sdk-path"), help: "A PlugHost checkout to take the SDK and plughost.h from. Default: the one this plughost was built in, if any.")
    var sdkPath: String?

    func run() throws {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 64,
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) else {
            printError("plugins new: the name must be 1-64 of a-z, 0-9, '-' and '_', starting with a letter (it names [plugins.NAME]); got \(name.debugDescription)")
            throw ExitCode(2)
        }
        let directory = URL(filePath: dir ?? name).standardizedFileURL
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            printError("plugins new: \(directory.path) exists and is not empty; choose another --dir")
            throw ExitCode(2)
        }
        let checkout: URL?
        if let sdkPath {
            checkout = URL(filePath: sdkPath).standardizedFileURL
            guard let checkout, PlugHostCheckout.isCheckout(checkout) else {
                printError("plugins new: --sdk-path \(sdkPath) is not a PlugHost checkout (no Package.swift with Sources/PlugHostSDK and plughost.h)")
                throw ExitCode(2)
            }
        } else {
            checkout = PlugHostCheckout.ofThisExecutable()
        }
        let template = PluginTemplate(name: name, checkout: checkout)
        let files: [(path: String, text: String, note: String)]
        switch lang {
        case .swift:
            files = template.swiftFiles()
        case .c:
            guard let checkout else {
                printError("plugins new: a C plugin needs plughost.h, and this plughost was not built in a PlugHost checkout; pass --sdk-path CHECKOUT")
                throw ExitCode(2)
            }
            let header = checkout.appending(path: PlugHostCheckout.headerPath)
            files = template.cFiles(header: try String(contentsOf: header, encoding: .utf8))
        }
        do {
            for file in files {
                let url = directory.appending(path: file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.text.write(to: url, atomically: true, encoding: .utf8)
            }
        } catch {
            printError("plugins new: cannot write the project into \(directory.path): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        print("created \(lang == .swift ? "Swift" : "C") plugin '\(name)' in \(directory.path):")
        let width = files.map(\.path.count).max() ?? 0
        for file in files {
            print("  \(file.path.padding(toLength: width, withPad: " ", startingAt: 0))  \(file.note)")
        }
        print("next:")
        print("  cd \(directory.path)")
        switch lang {
        case .swift:
            print("  swift build    # writes .build/debug/lib\(template.moduleName).so")
            print("  swift test     # runs the plugin in a host inside the test process (PlugHostTesting)")
        case .c:
            print("  make           # writes lib\(template.fileStem).so")
            print("  make test      # plughost plugins test lib\(template.fileStem).so --script tests/requests.jsonl")
        }
        print("then copy the .so into your host's plugins/ directory and run plughost reload (README.md)")
    }
}

/// A PlugHost source checkout: where `plugins new` takes the SDK (by path) and plughost.h from.
enum PlugHostCheckout {
    static let headerPath = "Sources/PlugHostABI/include/plughost.h"

    static func isCheckout(_ directory: URL) -> Bool {
        let files = FileManager.default
        return files.fileExists(atPath: directory.appending(path: "Package.swift").path)
            && files.fileExists(atPath: directory.appending(path: "Sources/PlugHostSDK").path)
            && files.fileExists(atPath: directory.appending(path: headerPath).path)
    }

    /// The checkout this plughost was built in (`CHECKOUT/.build/debug/plughost`), if it still is one.
    static func ofThisExecutable() -> URL? {
        guard let executable = ExecutablePath.current else { return nil }
        var directory = URL(filePath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            if isCheckout(directory) { return directory }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
