public import FoundationEssentials
import Glibc
public import Logging
public import PlugHostConfig
import Synchronization

/// The API keys the host accepts right now, reloaded when the key file changes or, with a Redis
/// store, replaced by ``RedisKeySync`` when the store changes.
///
/// Reads are lock-protected snapshots, so a revoke written by `plughost keys revoke` takes effect
/// on the next check of the file or the store (every `[auth] reload_interval` seconds, or at once
/// on SIGHUP).
public final class KeyStore: Sendable {
    /// What authenticating one request found.
    public enum Outcome: Sendable, Equatable {
        case missing
        /// `knownPrefix` is set when the presented key's prefix is that of a stored key.
        case invalid(knownPrefix: String?)
        case expired(name: String, prefix: String)
        case forbidden(name: String, prefix: String, scope: String)
        case allowed(name: String, prefix: String)
    }

    /// The keys as read, indexed by their visible prefix: a check compares the presented key with
    /// the few keys that share its prefix, never with all of them.
    private struct Snapshot {
        var keys: [StoredKey]
        var stamp: FileStamp?
        /// Keys PlugHost made, by prefix (`ph_` and 8 characters; distinct keys rarely share one).
        var byPrefix: [String: [StoredKey]] = [:]
        /// Keys without such a prefix (an imported hash): compared with every presented key.
        var unindexed: [StoredKey] = []

        init(keys: [StoredKey], stamp: FileStamp?, environmentKey: StoredKey?) {
            self.keys = keys
            self.stamp = stamp
            for key in keys + [environmentKey].compactMap({ $0 }) {
                if key.prefix.utf8.count == APIKey.prefixLength, key.prefix.hasPrefix(APIKey.marker) {
                    byPrefix[key.prefix, default: []].append(key)
                } else {
                    unindexed.append(key)
                }
            }
        }

        /// The keys `presented` could be: those with its prefix, and the unindexed ones.
        func candidates(for presented: String) -> (keys: [StoredKey], prefixKnown: Bool) {
            let prefix = APIKey.prefix(of: presented)
            let matching = prefix.flatMap { byPrefix[$0] } ?? []
            return (unindexed.isEmpty ? matching : matching + unindexed, !matching.isEmpty)
        }
    }

    /// The key file; nil when the keys come from a Redis store.
    private let file: KeyFile?
    /// The seed's single key, `API_TOKEN_HASH`, from the environment or the dotenv file.
    private let environmentKey: StoredKey?
    private let snapshot: Mutex<Snapshot>
    private let logger: Logger

    /// Loads the key file now; a malformed file is an error at start (and only logged on reload).
    public init(file: KeyFile, environmentHash: String?, logger: Logger) throws(ConfigError) {
        self.file = file
        self.logger = logger
        environmentKey = try Self.environmentKey(environmentHash)
        let stamp = FileStamp(of: file.url)
        snapshot = Mutex(Snapshot(keys: try file.read(), stamp: stamp, environmentKey: environmentKey))
    }

    /// A store whose keys come from elsewhere (Redis, through ``replace(with:)``): `API_TOKEN_HASH`
    /// only, until the first replacement.
    public init(environmentHash: String?, logger: Logger) throws(ConfigError) {
        file = nil
        self.logger = logger
        environmentKey = try Self.environmentKey(environmentHash)
        snapshot = Mutex(Snapshot(keys: [], stamp: nil, environmentKey: environmentKey))
    }

    private static func environmentKey(_ hash: String?) throws(ConfigError) -> StoredKey? {
        guard let hash else { return nil }
        guard let digest = HexDigest.sha256(fromHex: String(hash.trimmingEnds(where: \.isHorizontalWhitespace))) else {
            throw ConfigError(file: "API_TOKEN_HASH", line: nil, key: nil, message: "must be the SHA-256 of the token as 64 hex digits")
        }
        return StoredKey(name: "API_TOKEN_HASH", prefix: "", sha256: digest, created: Date(), expires: nil, scopes: [])
    }

    /// Puts `keys` in force at once (the Redis store's current records).
    public func replace(with keys: [StoredKey]) {
        let indexed = Snapshot(keys: keys, stamp: nil, environmentKey: environmentKey)
        snapshot.withLock { $0 = indexed }
    }

    public var keyCount: Int { snapshot.withLock { $0.keys.count } + (environmentKey == nil ? 0 : 1) }

    /// Checks `presented` against the keys that share its visible prefix (and any key without
    /// one), comparing each digest in constant time and without stopping at a match: the time
    /// taken depends on how many keys share the prefix, which the prefix already shows, and never
    /// on which key or byte matched. With 100,000 keys a check costs what it does with two.
    public func authenticate(_ presented: String?, requiredScope: String?, now: Date = Date()) -> Outcome {
        guard let presented, !presented.isEmpty else { return .missing }
        let digest = APIKey.digest(presented)
        let candidates = snapshot.withLock { $0.candidates(for: presented) }
        var match: StoredKey?
        for key in candidates.keys where APIKey.constantTimeEqual(key.sha256, digest) {
            match = key
        }
        guard let key = match else {
            return .invalid(knownPrefix: candidates.prefixKnown ? APIKey.prefix(of: presented) : nil)
        }
        if key.isExpired(at: now) { return .expired(name: key.name, prefix: key.prefix) }
        if let requiredScope, !key.scopes.contains(requiredScope) {
            return .forbidden(name: key.name, prefix: key.prefix, scope: requiredScope)
        }
        return .allowed(name: key.name, prefix: key.prefix)
    }

    /// Re-reads the key file if it changed since the last read. A malformed file keeps the old keys.
    @discardableResult
    public func reloadIfChanged(force: Bool = false) -> Bool {
        guard let file else { return false }
        let stamp = FileStamp(of: file.url)
        guard force || snapshot.withLock({ $0.stamp != stamp }) else { return false }
        do {
            let keys = try file.read()
            let indexed = Snapshot(keys: keys, stamp: stamp, environmentKey: environmentKey)
            snapshot.withLock { $0 = indexed }
            logger.info("API keys reloaded from \(file.url.path): \(keys.count) key(s)")
            return true
        } catch {
            snapshot.withLock { $0.stamp = stamp }
            logger.error("API keys not reloaded, the previous keys stay in force: \(error)")
            return false
        }
    }

    /// Reads `API_TOKEN_HASH` from the environment, else from the dotenv file if it exists.
    public static func environmentHash(dotenv: URL) -> String? {
        if let value = ProcessInfo.processInfo.environment["API_TOKEN_HASH"], !value.isEmpty { return value }
        guard let text = try? String(contentsOf: dotenv, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            var entry = line.trimmingEnds(where: \.isHorizontalWhitespace)
            if entry.hasPrefix("export ") { entry = entry.dropFirst(7) }
            guard let equals = entry.firstIndex(of: "="),
                  entry[..<equals].trimmingEnds(where: \.isHorizontalWhitespace) == "API_TOKEN_HASH" else { continue }
            let value = entry[entry.index(after: equals)...].trimmingEnds(where: \.isHorizontalWhitespace)
            return String(value.trimmingEnds { $0 == "\"" || $0 == "'" })
        }
        return nil
    }
}

/// Identity and version of a file on disk: changes when it is replaced or rewritten.
package struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64

    package init?(of url: URL) {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
