import ArgumentParser
import Foundation
import PlugHostKeys

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys. The key file keeps names, prefixes and SHA-256 hashes, never a key.",
        subcommands: [NewKey.self, ListKeys.self, RevokeKey.self]
    )
}

extension ConfigOption {
    func keyFile() throws -> KeyFile {
        let config = try load()
        return KeyFile(url: config.resolve(config.auth.keysFile))
    }

    func readKeys(_ file: KeyFile) throws -> [StoredKey] {
        do {
            return try file.read()
        } catch {
            printError("key file error: \(error)")
            throw ExitCode(2)
        }
    }

    func writeKeys(_ keys: [StoredKey], to file: KeyFile) throws {
        do {
            try file.write(keys)
        } catch {
            printError("key file error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct NewKey: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Make a key and print it once.")

    @OptionGroup var options: ConfigOption

    @Option(help: "A unique name for the key, shown in logs and listings (letters, digits, - _ .).")
    var name: String

    @Option(help: "Lifetime (90d, 12h, 2w, 1y, 30m, 45s), a date (2027-01-31, UTC) or a date-time with zone (2027-01-31T12:00:00Z). Default: never.")
    var expires: String?

    @Option(name: .customLong("scope"), help: "A scope the key grants; repeat for several.")
    var scopes: [String] = []

    func run() throws {
        guard StoredKey.isValidName(name) else {
            printError("--name must be 1-64 letters, digits, '-', '_' or '.'; got '\(name)'")
            throw ExitCode(2)
        }
        var expiry: Date?
        if let expires {
            guard let date = KeyLifetime.expiry(from: expires) else {
                printError("--expires must be like 90d, 12h, 2w, 1y, 30m, 45s or an ISO-8601 date; got '\(expires)'")
                throw ExitCode(2)
            }
            guard date > Date() else {
                printError("--expires \(expires) is in the past; the key would never work")
                throw ExitCode(2)
            }
            expiry = date
        }
        let file = try options.keyFile()
        var keys = try options.readKeys(file)
        guard !keys.contains(where: { $0.name == name }) else {
            printError("a key named '\(name)' exists already; revoke it first or choose another name")
            throw ExitCode(1)
        }
        let key = APIKey.generate()
        keys.append(StoredKey(name: name, prefix: APIKey.prefix(of: key) ?? "", sha256: APIKey.hash(key),
                              created: Date(), expires: expiry, scopes: scopes))
        try options.writeKeys(keys, to: file)
        printError("Created key '\(name)' in \(file.url.path). Copy it now: it is not stored and cannot be shown again.")
        print(key)
    }
}

struct ListKeys: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys: name, prefix, dates, scopes — never a secret.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let file = try options.keyFile()
        let keys = try options.readKeys(file)
        guard !keys.isEmpty else {
            print("no keys in \(file.url.path); create one with: plughost keys new --name NAME")
            return
        }
        let now = Date()
        let format = Date.ISO8601FormatStyle()
        let rows = [["NAME", "PREFIX", "CREATED", "EXPIRES", "SCOPES"]] + keys.map { key in
            [key.name, key.prefix.isEmpty ? "-" : key.prefix, key.created.formatted(format),
             key.expires.map { $0.formatted(format) + ($0 <= now ? " (expired)" : "") } ?? "never",
             key.scopes.isEmpty ? "-" : key.scopes.joined(separator: ",")]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}

struct RevokeKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Remove a key. A running host stops accepting it within [auth] reload_interval, or at once on SIGHUP."
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The key's name.")
    var name: String

    func run() throws {
        let file = try options.keyFile()
        var keys = try options.readKeys(file)
        guard keys.contains(where: { $0.name == name }) else {
            printError("no key named '\(name)' in \(file.url.path); `plughost keys list` shows the names")
            throw ExitCode(1)
        }
        keys.removeAll { $0.name == name }
        try options.writeKeys(keys, to: file)
        print("revoked key '\(name)'")
    }
}
