/// Text from outside the host (a plugin's log message, its magic block, `set_error`, a client's
/// path or header) printed into a text log line. A line break in it would start a line of its
/// own, with a forged timestamp and level; an ANSI escape would rewrite the operator's terminal.
/// So every control character is written as a visible escape (`\n`, `\r`, `\t`, `\u{1B}`), and
/// the line stays one line whatever the text holds. The JSON format escapes by itself.
package enum LogEscaping {
    /// `text` unchanged when it holds nothing to escape (the common case: one pass over its
    /// bytes, no copy), else with each control character escaped.
    package static func escaped(_ text: String) -> String {
        guard mayNeedEscaping(text) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// False when `text` certainly holds nothing to escape: one pass over its bytes. True when it
    /// may (0xC2 and 0xE2 lead the UTF-8 forms of the C1 controls and of U+2028/U+2029, and of
    /// many harmless characters too: ``escaped(_:)`` looks closer).
    static func mayNeedEscaping(_ text: String) -> Bool {
        func scan(_ bytes: some Sequence<UInt8>) -> Bool {
            bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }
        }
        return text.utf8.withContiguousStorageIfAvailable { scan($0) } ?? scan(text.utf8)
    }

    /// `text` cut to its first `limit` bytes (on a character boundary) with a note of its full
    /// size: a plugin's 1 MiB route path or log message must not become a 1 MiB log line.
    package static func excerpt(_ text: String, limit: Int = 256) -> String {
        guard text.utf8.count > limit else { return text }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: limit)
        while end > text.startIndex, !text.unicodeScalars.indices.contains(end) { end = text.utf8.index(before: end) }
        return "\(text[..<end])… (\(text.utf8.count) bytes in all)"
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators, which some log
    /// viewers break lines at.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
