/// Where the key records live, as `plughost keys` and `plughost check` use it: the key file, or
/// the Redis store a fleet shares. Either holds ``StoredKey`` records only, never a key.
public protocol KeyRecords: Sendable {
    /// The file's path or the store's URL (password redacted), for messages.
    var location: String { get }
    /// Every record.
    func all() async throws -> [StoredKey]
    /// Adds `key` unless a record of that name exists; false when one does.
    func add(_ key: StoredKey) async throws -> Bool
    /// Removes the record named `name`; false when there is none.
    func remove(named name: String) async throws -> Bool
}

/// The key file as ``KeyRecords``: read, changed, written back atomically.
extension KeyFile: KeyRecords {
    public var location: String { url.path }

    public func all() async throws -> [StoredKey] { try read() }

    public func add(_ key: StoredKey) async throws -> Bool {
        var keys = try read()
        guard !keys.contains(where: { $0.name == key.name }) else { return false }
        keys.append(key)
        try write(keys)
        return true
    }

    public func remove(named name: String) async throws -> Bool {
        var keys = try read()
        guard keys.contains(where: { $0.name == name }) else { return false }
        keys.removeAll { $0.name == name }
        try write(keys)
        return true
    }
}
