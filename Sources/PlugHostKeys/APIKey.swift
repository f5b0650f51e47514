import Crypto
import FoundationEssentials

/// Making, hashing and comparing API keys. Keys are shown once, when made; only hashes are kept.
public enum APIKey {
    /// Every key PlugHost makes starts with this, so a leaked key is recognisable (e.g. by secret scanners).
    public static let marker = "ph_"
    /// Length of the non-secret prefix stored and logged: marker plus 8 characters.
    public static let prefixLength = 11

    /// A new key: `ph_` + 8 id characters + `_` + 43 characters of 256-bit randomness, URL-safe.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = base64URL((0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let secret = base64URL((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return "\(marker)\(id)_\(secret)"
    }

    /// The part of a key that may be stored and logged; nil for keys PlugHost did not make.
    public static func prefix(of key: String) -> String? {
        guard key.hasPrefix(marker), key.utf8.count > prefixLength else { return nil }
        return String(key.prefix(prefixLength))
    }

    /// SHA-256 of the key, as 32 bytes.
    public static func hash(_ key: String) -> [UInt8] {
        digest(key).withUnsafeBytes { Array($0) }
    }

    /// The same hash as a digest value: what each request's check compares, with no array made.
    static func digest(_ key: String) -> SHA256.Digest {
        // The key's own bytes when it has them contiguously (a native string), without a Data copy.
        key.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(key.utf8))
    }

    /// Compares two digests in time that depends only on their length, never on where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { constantTimeEqual(a, $0) }
    }

    static func constantTimeEqual(_ stored: [UInt8], _ digest: SHA256.Digest) -> Bool {
        digest.withUnsafeBytes { constantTimeEqual(stored, $0) }
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }

}
