/// TOML's four kinds of string: basic (`"…"`, with escapes), literal (`'…'`, as written), and the
/// multi-line form of each (`"""…"""`, `'''…'''`).
extension TOMLCursor {
    /// A basic string, from its opening `"`.
    mutating func basicString() throws(TOMLError) -> String {
        offset += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("the string is not closed: '\"' is missing before the end of the file") }
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &bytes)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("the string is not closed: '\"' is missing before the end of the line (a string on several lines needs \"\"\")")
            default:
                try appendPlain(byte, to: &bytes)
            }
        }
    }

    /// A literal string, from its opening `'`.
    mutating func literalString() throws(TOMLError) -> String {
        offset += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("the string is not closed: \"'\" is missing before the end of the file") }
            switch byte {
            case UInt8(ascii: "'"):
                offset += 1
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("the string is not closed: \"'\" is missing before the end of the line (a string on several lines needs ''')")
            default:
                try appendPlain(byte, to: &bytes)
            }
        }
    }

    /// A multi-line basic string, from its opening `"""`.
    mutating func multilineBasicString() throws(TOMLError) -> String {
        try multilineString(quote: UInt8(ascii: "\""), escapes: true)
    }

    /// A multi-line literal string, from its opening `'''`.
    mutating func multilineLiteralString() throws(TOMLError) -> String {
        try multilineString(quote: UInt8(ascii: "'"), escapes: false)
    }

    /// The body of a multi-line string: line breaks kept as written (except one right after the
    /// opening delimiter), up to two `quote`s in a row as content, and with `escapes` the
    /// escapes and line-ending backslashes of a basic string.
    private mutating func multilineString(quote: UInt8, escapes: Bool) throws(TOMLError) -> String {
        let open = mark
        offset += 3
        _ = try consumeLineBreak()
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("the multi-line string that starts here is not closed before the end of the file", at: open)
            }
            switch byte {
            case quote:
                var run = 0
                while peek(run) == quote { run += 1 }
                // Up to two quotes may end the content, right before the closing three.
                guard run <= 5 else {
                    throw error("\(run) quotes in a row: a multi-line string may hold at most two in a row; escape or split the rest")
                }
                offset += run
                if run >= 3 {
                    bytes += repeatElement(quote, count: run - 3)
                    return String(decoding: bytes, as: UTF8.self)
                }
                bytes += repeatElement(quote, count: run)
            case UInt8(ascii: "\\") where escapes:
                try backslash(into: &bytes)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                let start = offset
                _ = try consumeLineBreak()
                bytes += self.bytes[start..<offset]
            default:
                try appendPlain(byte, to: &bytes)
            }
        }
    }

    /// In a multi-line basic string: a line-ending backslash (it and all white space and line
    /// breaks after it vanish), or else an escape.
    private mutating func backslash(into bytes: inout [UInt8]) throws(TOMLError) {
        var probe = 1
        while peek(probe) == UInt8(ascii: " ") || peek(probe) == UInt8(ascii: "\t") { probe += 1 }
        guard peek(probe) == UInt8(ascii: "\n") || peek(probe) == UInt8(ascii: "\r") else {
            try escape(into: &bytes)
            return
        }
        offset += probe
        repeat {
            skipWhitespace()
        } while try consumeLineBreak()
    }

    /// An escape sequence, from its `\`.
    private mutating func escape(into bytes: inout [UInt8]) throws(TOMLError) {
        let start = mark
        offset += 1
        guard let letter = peek() else { throw error("the string is not closed before the end of the file") }
        offset += 1
        switch letter {
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = letter == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let byte = peek(), let digit = byte.hexDigitValue else {
                    throw error("\\\(Character(Unicode.Scalar(letter))) needs exactly \(digits) hexadecimal digits", at: start)
                }
                value = value << 4 | digit
                offset += 1
            }
            // Surrogates (U+D800…U+DFFF) and values past U+10FFFF are not characters.
            guard let scalar = Unicode.Scalar(value) else {
                throw error("\\\(Character(Unicode.Scalar(letter)))\(TOMLText.hex(value, digits: digits)) is not a Unicode scalar value (surrogates and values above 10FFFF are not)", at: start)
            }
            UTF8.encode(scalar) { bytes.append($0) }
        default:
            offset -= 1
            let shown = letter < 0x80 && !letter.isTOMLControl ? "'\\\(Character(Unicode.Scalar(letter)))'" : "a backslash before \(describeNext())"
            throw error("\(shown) is not an escape; TOML 1.0 has \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX (write \\\\ for a backslash)", at: start)
        }
    }

    /// A byte of string content that needs no escape: anything but a control character other than tab.
    private mutating func appendPlain(_ byte: UInt8, to bytes: inout [UInt8]) throws(TOMLError) {
        guard !byte.isTOMLControl else {
            throw error("\(describeNext()) is not allowed in a string as it is; in a basic string (\"…\") write it as \\u\(TOMLText.hex(UInt32(byte), digits: 4))")
        }
        bytes.append(byte)
        offset += 1
    }
}
