/// A TOML table: its keys in the order the document defined them, each with where it was written.
///
/// Keys are unique; looking one up is a hash lookup, and ``remove(_:)`` keeps the others' order.
public struct TOMLTable: Sendable {
    public struct Entry: Sendable {
        public let key: String
        /// 1-based line of the key's first mention: a `key = value` line, a dotted key that made
        /// the table, or the `[header]` that named it.
        public let line: Int
        /// 1-based column of that mention, in Unicode scalars.
        public let column: Int
        public var value: TOMLValue
    }

    /// Every entry, in document order.
    public private(set) var entries: [Entry] = []
    /// Where each key's entry is in `entries`.
    private var positions: [String: Int] = [:]

    public init() {}

    /// The keys, in document order.
    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public subscript(key: String) -> TOMLValue? { positions[key].map { entries[$0].value } }

    /// The entry of `key`: its value and where the key was written.
    public func entry(_ key: String) -> Entry? { positions[key].map { entries[$0] } }

    /// Removes `key` and returns its value; the other keys keep their order.
    @discardableResult
    public mutating func remove(_ key: String) -> TOMLValue? {
        guard let position = positions.removeValue(forKey: key) else { return nil }
        let removed = entries.remove(at: position)
        for index in position..<entries.count { positions[entries[index].key] = index }
        return removed.value
    }

    /// Adds `entry` after the others; false, changing nothing, when the table has its key already.
    @discardableResult
    mutating func append(_ entry: Entry) -> Bool {
        guard positions[entry.key] == nil else { return false }
        positions[entry.key] = entries.count
        entries.append(entry)
        return true
    }
}
