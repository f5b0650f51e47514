import ArgumentParser
import Foundation
import PlugHostConfig
import PlugHostKeys
import PlugHostWorker

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys in the key file or the Redis store ([auth] store). Only names, prefixes and SHA-256 hashes are kept, never a key.",
        subcommands: [NewKey.self, ListKeys.self, RevokeKey.self, ImportKeys.self]
    )
}

extension ConfigOption {
    /// Where `[auth] store` keeps the keys: the key file, or the Redis store.
    func keyRecords() throws -> any KeyRecords {
        let config = try load()
        return keyRecords(config)
    }

    func keyRecords(_ config: HostConfig) -> any KeyRecords {
        if let store = config.auth.redisStore {
            return RedisKeyRecords(url: store, caFile: config.redisCAFile, timeout: config.auth.storeTimeout)
        }
        return KeyFile(url: config.resolve(config.auth.keysFile))
    }
}

/// Runs one step against the key records; a failure is printed as the store's error, exit 2.
func keyStoreStep<T>(_ records: any KeyRecords, _ step: () async throws -> T) async throws -> T {
    do {
        return try await step()
    } catch {
        printError("key store error (\(records.location)): \(error)")
        throw ExitCode(2)
    }
}

struct NewKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Make a key and print it once.")

    @OptionGroup var options: ConfigOption

    @Option(help: "A unique name for the key, shown in logs and listings (letters, digits, - _ .).")
    var name: String

    @Option(help: "Lifetime (90d, 12h, 2w, 1y, 30m, 45s), a date (2027-01-31, UTC) or a date-time with zone (2027-01-31T12:00:00Z). Default: never.")
    var expires: String?

    @Option(name: .customLong("scope"), help: "A scope the key grants; repeat for several.")
    var scopes: [String] = []

    func run() async throws {
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
        let records = try options.keyRecords()
        let key = APIKey.generate()
        let stored = StoredKey(name: name, prefix: APIKey.prefix(of: key) ?? "", sha256: APIKey.hash(key),
                               created: Date(), expires: expiry, scopes: scopes)
        guard try await keyStoreStep(records, { try await records.add(stored) }) else {
            printError("a key named '\(name)' exists already; revoke it first or choose another name")
            throw ExitCode(1)
        }
        printError("Created key '\(name)' in \(records.location). Copy it now: it is not stored and cannot be shown again.")
        print(key)
    }
}

struct ListKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys: name, prefix, dates, scopes — never a secret.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let records = try options.keyRecords()
        let keys = try await keyStoreStep(records) { try await records.all() }
        guard !keys.isEmpty else {
            print("no keys in \(records.location); create one with: plughost keys new --name NAME")
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

struct RevokeKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Remove a key. Running hosts stop accepting it within [auth] reload_interval (a key file: at once on SIGHUP too)."
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The key's name.")
    var name: String

    func run() async throws {
        let records = try options.keyRecords()
        guard try await keyStoreStep(records, { try await records.remove(named: name) }) else {
            printError("no key named '\(name)' in \(records.location); `plughost keys list` shows the names")
            throw ExitCode(1)
        }
        print("revoked key '\(name)'")
    }
}

struct ImportKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Copy the keys of a key file (default: [auth] keys_file) into the Redis store of [auth] store. The file is left as it is."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "The key file to read. Default: [auth] keys_file.")
    var file: String?

    func run() async throws {
        let config = try options.load()
        guard let store = config.auth.redisStore else {
            printError("[auth] store is \"file\": the keys are in the key file already. Set [auth] store to the Redis URL first")
            throw ExitCode(2)
        }
        let source = KeyFile(url: file.map { URL(filePath: $0) } ?? config.resolve(config.auth.keysFile))
        guard FileManager.default.fileExists(atPath: source.url.path) else {
            printError("no key file at \(source.url.path); pass one with --file")
            throw ExitCode(2)
        }
        let keys: [StoredKey]
        do {
            keys = try source.read()
        } catch {
            printError("key file error: \(error)")
            throw ExitCode(2)
        }
        let records = RedisKeyRecords(url: store, caFile: config.redisCAFile, timeout: config.auth.storeTimeout)
        // By name: a file of 100,000 keys must not take n² comparisons.
        let existing = Dictionary(try await keyStoreStep(records) { try await records.all() }.map { ($0.name, $0) }) { first, _ in first }
        var copied = 0, present = 0
        var conflicts: [String] = []
        for key in keys {
            if let other = existing[key.name] {
                // The same record twice is no conflict: importing again after a partial run is safe.
                if other.sha256 == key.sha256 { present += 1 } else { conflicts.append(key.name) }
                continue
            }
            if try await keyStoreStep(records, { try await records.add(key) }) { copied += 1 } else { conflicts.append(key.name) }
        }
        print("copied \(copied) key(s) from \(source.url.path) into \(records.location); \(present) were there already")
        guard conflicts.isEmpty else {
            printError("not copied, the store has other keys of these names: \(conflicts.joined(separator: ", ")); revoke them there, or rename them in the file, and import again")
            throw ExitCode(1)
        }
        print("every host with [auth] store = \(records.location) now accepts them; the key file is no longer read and may be removed")
    }
}
