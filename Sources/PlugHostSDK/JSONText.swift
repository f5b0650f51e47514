/// JSON text written by hand for the answers most routes give — an object of strings — byte for
/// byte what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes, at a fraction
/// of its cost (the encoder is built and run per answer).
enum JSONText {
    /// `{"a":"1","b":"2"}`, keys sorted.
    static func object(_ object: [String: String]) -> [UInt8] {
        // Reserved before the first byte: an array made from a literal would be allocated twice.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + object.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        bytes.append(UInt8(ascii: "{"))
        func append(_ key: String, _ value: String) {
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            appendString(value, to: &bytes)
        }
        // One entry (the usual answer) needs no sorted copy of the dictionary.
        if object.count == 1, let entry = object.first {
            append(entry.key, entry.value)
        } else {
            for entry in object.sorted(by: { $0.key < $1.key }) { append(entry.key, entry.value) }
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigit(byte >> 4), hexDigit(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A lower-case hex digit for `nibble` (0-15), computed rather than looked up in an array made per call.
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
