public import FoundationEssentials
import Glibc
public import PlugHostConfig
import PlugHostTOML

/// The key file (`keys.toml`): read, check, and write atomically with mode 0600.
///
/// ```toml
/// [[key]]
/// name = "ci"
/// prefix = "ph_Ab3dE9xQ"
/// sha256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
/// created = 2026-11-25T19:00:00Z
/// expires = 2027-02-23T19:00:00Z
/// scopes = ["admin"]
/// ```
public struct KeyFile: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The keys in the file; an absent file holds none. Malformed content is a ``ConfigError``.
    public func read() throws(ConfigError) -> [StoredKey] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: url.path, line: nil, key: nil, message: "cannot be read: \(fileErrorDescription(error))")
        }
        return try Self.parse(text, file: url.path)
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> [StoredKey] {
        var top = try ConfigTableReader.document(text, file: file)
        let context = top.context
        guard let entries = top.take("key") else {
            try top.finish()
            return []
        }
        guard let array = entries.array else { throw top.error("key", "expected [[key]] entries") }
        var keys: [StoredKey] = []
        // A set, not a search of `keys`: a file of 100,000 keys must not take n² comparisons.
        var names: Set<String> = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else { throw top.error("key", "expected [[key]] entries") }
            var entry = ConfigTableReader(table: table, path: ["key[\(index)]"], line: element.line, context: context)
            let name = try entry.string("name", default: "")
            guard StoredKey.isValidName(name) else { throw entry.error("name", "expected 1-64 letters, digits, '-', '_' or '.', got \"\(name)\"") }
            guard names.insert(name).inserted else { throw entry.error("name", "\"\(name)\" is used by two keys") }
            let hex = try entry.string("sha256", default: "")
            guard let digest = HexDigest.sha256(fromHex: hex) else { throw entry.error("sha256", "expected 64 hex digits (the SHA-256 of the key)") }
            let created = try date(&entry, "created") ?? Date(timeIntervalSince1970: 0)
            let expires = try date(&entry, "expires")
            let key = StoredKey(
                name: name, prefix: try entry.string("prefix", default: ""), sha256: digest,
                created: created, expires: expires, scopes: try entry.strings("scopes", default: [])
            )
            try entry.finish()
            keys.append(key)
        }
        try top.finish()
        return keys
    }

    /// An instant: a TOML offset date-time (what ``write(_:)`` writes), or a string holding one.
    private static func date(_ entry: inout ConfigTableReader, _ key: String) throws(ConfigError) -> Date? {
        guard let raw = entry.take(key) else { return nil }
        if let dateTime = raw.dateTime, dateTime.kind == .offsetDateTime, let date = instant(dateTime.text) { return date }
        if let string = raw.string, let date = instant(string) { return date }
        throw entry.error(key, "expected a date-time like 2027-01-31T12:00:00Z")
    }

    /// RFC 3339 text with its zone (`2027-01-31T12:00:00Z`, `…T12:00:00.5+01:00`) as an instant.
    private static func instant(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains(".")).parse(text)
    }

    /// Writes `keys` atomically (temp file + rename) with mode 0600, so a reader never sees half a file.
    public func write(_ keys: [StoredKey]) throws {
        var text = "# API keys of this PlugHost site, managed by `plughost keys`.\n# Only SHA-256 hashes are stored: a key is shown once, when it is made.\n"
        for key in keys {
            text += "\n[[key]]\nname = \(TOMLText.quoted(key.name))\nprefix = \(TOMLText.quoted(key.prefix))\nsha256 = \(TOMLText.quoted(HexDigest.text(key.sha256)))\n"
            text += "created = \(key.created.formatted(Date.ISO8601FormatStyle()))\n"
            if let expires = key.expires { text += "expires = \(expires.formatted(Date.ISO8601FormatStyle()))\n" }
            text += "scopes = [\(key.scopes.map(TOMLText.quoted).joined(separator: ", "))]\n"
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw KeyFileError(message: "cannot create the directory of \(url.path): \(fileErrorDescription(error))")
        }
        let temporary = url.deletingLastPathComponent().appending(path: ".\(url.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw KeyFileError(message: "cannot create \(temporary.path): \(systemErrorText(errno))") }
        if let failure = Self.writeAll(Array(text.utf8), to: descriptor) {
            close(descriptor)
            unlink(temporary.path)
            throw KeyFileError(message: "cannot write \(temporary.path): \(systemErrorText(failure))")
        }
        // A close that fails may have lost written data (on NFS, say): the rename must not happen then.
        guard close(descriptor) == 0 else {
            let failure = errno
            unlink(temporary.path)
            throw KeyFileError(message: "cannot write \(temporary.path): \(systemErrorText(failure))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw KeyFileError(message: "cannot replace \(url.path): \(systemErrorText(errno))")
        }
    }

    /// Writes every byte and flushes them to the disk; the `errno` of the first failure, if any.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += count
        }
        return fsync(descriptor) == 0 ? nil : errno
    }
}

public struct KeyFileError: Error, CustomStringConvertible {
    let message: String
    public var description: String { message }
}
