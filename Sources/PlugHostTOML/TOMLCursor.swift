/// Where the parser is in a document's UTF-8 bytes, on which line, and what counts as space,
/// comment and line break there.
///
/// Only ``consumeLineBreak()`` moves past a line feed, so the line number is always right.
struct TOMLCursor {
    /// A place in the document, to report an error at after the cursor has moved on.
    struct Mark {
        let offset: Int
        let line: Int
        let lineStart: Int
    }

    let bytes: [UInt8]
    // Set by this type's extensions too; none of them moves past a line feed.
    var offset = 0
    private(set) var line = 1
    private(set) var lineStart = 0
    /// The last column computed on the current line, so that columns of the many values of one
    /// long line cost one pass over it, not one each.
    private var lastColumn = (offset: 0, column: 1)

    init(text: String) {
        bytes = Array(text.utf8)
        // A byte order mark is no part of the document (toml++ skipped it too).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            offset = 3
            lineStart = 3
            lastColumn = (3, 1)
        }
    }

    var mark: Mark { Mark(offset: offset, line: line, lineStart: lineStart) }
    var atEnd: Bool { offset >= bytes.count }

    func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return text.withUTF8Buffer { bytes[offset..<offset + count].elementsEqual($0) }
    }

    /// Moves over `count` bytes, none of them a line feed.
    mutating func advance(_ count: Int = 1) {
        offset = min(offset + count, bytes.count)
    }

    /// Line and column of `mark`; cheap for marks in document order.
    mutating func position(of mark: Mark) -> (line: Int, column: Int) {
        if lastColumn.offset < mark.lineStart || lastColumn.offset > mark.offset {
            lastColumn = (mark.lineStart, 1)
        }
        var column = lastColumn.column
        for byte in bytes[lastColumn.offset..<mark.offset] where !byte.isUTF8Continuation { column += 1 }
        lastColumn = (mark.offset, column)
        return (mark.line, column)
    }

    // MARK: Space, comments, line breaks

    mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { offset += 1 }
    }

    /// Moves past a line break (LF or CR LF) if one is next; a CR without LF is an error.
    mutating func consumeLineBreak() throws(TOMLError) -> Bool {
        switch peek() {
        case UInt8(ascii: "\n"):
            offset += 1
        case UInt8(ascii: "\r"):
            guard peek(1) == UInt8(ascii: "\n") else { throw error("a carriage return (CR) must be followed by a line feed (LF)") }
            offset += 2
        default:
            return false
        }
        line += 1
        lineStart = offset
        lastColumn = (offset, 1)
        return true
    }

    /// Moves over a comment (from `#`) up to its line break, which it leaves.
    mutating func skipComment() throws(TOMLError) {
        guard peek() == UInt8(ascii: "#") else { return }
        offset += 1
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { return }
            if byte.isTOMLControl {
                throw error("\(describeNext()) is not allowed in a comment; TOML allows no control character there but tab")
            }
            offset += 1
        }
    }

    /// Spaces, comments and line breaks, as many as there are: what may stand between array elements.
    mutating func skipBlankSpace() throws(TOMLError) {
        while true {
            skipWhitespace()
            try skipComment()
            guard try consumeLineBreak() else { return }
        }
    }

    // MARK: Errors

    /// An error at `mark`, or here.
    func error(_ message: String, at mark: Mark? = nil) -> TOMLError {
        let mark = mark ?? self.mark
        let column = 1 + bytes[mark.lineStart..<min(mark.offset, bytes.count)].count { !$0.isUTF8Continuation }
        return TOMLError(line: mark.line, column: column, message: message)
    }

    /// What comes next, for messages: `'%'`, `'³' (U+00B3)`, `U+0000`, "the end of the line".
    func describeNext() -> String {
        guard let byte = peek() else { return "the end of the file" }
        if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n")) { return "the end of the line" }
        if byte < 0x80 {
            let scalar = Unicode.Scalar(byte)
            return byte.isTOMLControl ? "U+\(TOMLText.hex(UInt32(byte), digits: 4))" : "'\(Character(scalar))'"
        }
        var iterator = bytes[offset...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return "an invalid UTF-8 byte" }
        return "'\(Character(scalar))' (U+\(TOMLText.hex(scalar.value, digits: 4)))"
    }
}
