package import FoundationEssentials
package import PlugHostConfig
import PlugHostRedis

/// The key records of a fleet, in Redis: every host reads them, `plughost keys` changes them.
///
/// One hash, `plughost:keys`, holds a field per key name whose value is the record as JSON
/// (prefix, SHA-256 in hex, created, expires, scopes: what keys.toml holds, never the key).
/// Every change also sets `plughost:keys:version` to a new random token, in the same script, so
/// that a host learns of a change by reading one short string (``version()``) and reads the
/// hash only then. A token rather than a counter: a Redis that lost its data and was written
/// again can never show a host an old number it takes for "nothing changed".
package struct RedisKeyRecords: KeyRecords {
    static let hashKey = "plughost:keys"
    static let versionKey = "plughost:keys:version"

    private let client: RESPClient

    /// `caFile`: what a `rediss://` server's certificate must chain to (nil: the system's roots).
    package init(url: RedisURL, caFile: URL?, timeout: Double) {
        client = RESPClient(url: url, caFile: caFile, timeout: timeout, purpose: "[auth] store")
    }

    package var location: String { client.url.redacted }

    /// The token of the last change; nil while no key was ever stored.
    package func version() async throws -> String? {
        let reply = try await client.send(["GET", Self.versionKey])
        if case .error(let message) = reply { throw RESPError(message: "Redis refused GET \(Self.versionKey): \(message)") }
        return reply.text
    }

    package func all() async throws -> [StoredKey] {
        let reply = try await client.send(["HGETALL", Self.hashKey])
        if case .error(let message) = reply { throw RESPError(message: "Redis refused HGETALL \(Self.hashKey): \(message)") }
        guard let items = reply.array else { throw RESPError(message: "unexpected reply to HGETALL \(Self.hashKey)") }
        var keys: [StoredKey] = []
        var index = 0
        while index + 1 < items.count {
            // A record another program wrote badly is left out, not taken for a key; the name is
            // checked like a key file's, so no stored text can forge a log line.
            if let name = items[index].text, StoredKey.isValidName(name), let text = items[index + 1].text,
               let key = KeyRecordJSON.decode(name: name, text) {
                keys.append(key)
            }
            index += 2
        }
        return keys.sorted { $0.created == $1.created ? $0.name < $1.name : $0.created < $1.created }
    }

    package func add(_ key: StoredKey) async throws -> Bool {
        try await change(Self.addScript, [key.name, KeyRecordJSON.encode(key)])
    }

    package func remove(named name: String) async throws -> Bool {
        try await change(Self.removeScript, [name])
    }

    /// Runs a change script; its reply is 1 when it changed something (and set a new version).
    private func change(_ script: String, _ arguments: [String]) async throws -> Bool {
        let token = UUID().uuidString
        let reply = try await client.send(["EVAL", script, "2", Self.hashKey, Self.versionKey] + arguments + [token])
        if case .error(let message) = reply { throw RESPError(message: "Redis refused the key store's script: \(message)") }
        guard let changed = reply.integer else { throw RESPError(message: "unexpected reply from the key store's script") }
        return changed == 1
    }

    /// KEYS: the hash, the version. ARGV: name, record, new version token.
    static let addScript = """
        if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
          redis.call('SET', KEYS[2], ARGV[3])
          return 1
        end
        return 0
        """

    /// KEYS: the hash, the version. ARGV: name, new version token.
    static let removeScript = """
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
          redis.call('SET', KEYS[2], ARGV[2])
          return 1
        end
        return 0
        """
}

/// A key record as the JSON value of its hash field: the name is the field.
enum KeyRecordJSON {
    private struct Record: Codable {
        var prefix: String
        var sha256: String
        var created: Date
        var expires: Date?
        var scopes: [String]
    }

    static func encode(_ key: StoredKey) -> String {
        let record = Record(prefix: key.prefix, sha256: HexDigest.text(key.sha256), created: key.created, expires: key.expires, scopes: key.scopes)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(record)) ?? Data(), as: UTF8.self)
    }

    static func decode(name: String, _ text: String) -> StoredKey? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let record = try? decoder.decode(Record.self, from: Data(text.utf8)),
              let digest = HexDigest.sha256(fromHex: record.sha256) else { return nil }
        return StoredKey(name: name, prefix: record.prefix, sha256: digest, created: record.created, expires: record.expires, scopes: record.scopes)
    }
}
