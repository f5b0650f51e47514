public import FoundationEssentials

/// One entry of the key file: everything about a key except the key.
public struct StoredKey: Sendable, Equatable {
    public var name: String
    /// The key's first characters (`ph_` + 8), safe to show and log.
    public var prefix: String
    public var sha256: [UInt8]
    public var created: Date
    public var expires: Date?
    public var scopes: [String]

    public init(name: String, prefix: String, sha256: [UInt8], created: Date, expires: Date?, scopes: [String]) {
        self.name = name
        self.prefix = prefix
        self.sha256 = sha256
        self.created = created
        self.expires = expires
        self.scopes = scopes
    }

    public func isExpired(at now: Date) -> Bool { expires.map { $0 <= now } ?? false }

    /// Key names: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
    }
}
