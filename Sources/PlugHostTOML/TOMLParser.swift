/// Reads a document line by line: blank lines and comments, `[headers]`, `[[headers]]` and
/// `key = value` lines, each followed by a line break or the end of the file.
struct TOMLParser {
    var cursor: TOMLCursor
    let maxDepth: Int
    /// Counts table sections: each header starts one, and each inline table is one. Dotted keys
    /// may add to the tables they made only within the section that made them.
    var sections = 0

    init(text: String, maxDepth: Int) {
        cursor = TOMLCursor(text: text)
        self.maxDepth = maxDepth
    }

    mutating func document() throws(TOMLError) -> TOMLTable {
        let root = TOMLTableBuilder(origin: .header(line: 1), depth: 0, path: [], line: 1, column: 1)
        var current = root
        var section = 0
        while !cursor.atEnd {
            cursor.skipWhitespace()
            switch cursor.peek() {
            case UInt8(ascii: "["):
                current = try header(in: root)
                section = sections
                try endOfLine(after: "the table header")
            case nil, UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try endOfLine(after: "")
            default:
                try keyValue(into: current, section: section)
                try endOfLine(after: "the value")
            }
        }
        return root.finish()
    }

    /// After a header or a key/value pair: spaces, a comment, then a line break or the end.
    private mutating func endOfLine(after what: String) throws(TOMLError) {
        cursor.skipWhitespace()
        try cursor.skipComment()
        guard !cursor.atEnd, try !cursor.consumeLineBreak() else { return }
        throw cursor.error("expected the end of the line after \(what), found \(cursor.describeNext())")
    }

    /// `[a.b]` or `[[a.b]]`: the table the following lines fill.
    private mutating func header(in root: TOMLTableBuilder) throws(TOMLError) -> TOMLTableBuilder {
        cursor.advance()
        let isArray = cursor.peek() == UInt8(ascii: "[")
        if isArray { cursor.advance() }
        cursor.skipWhitespace()
        let keys = try key()
        cursor.skipWhitespace()
        let name = TOMLKeyPath.text(keys.map(\.name))
        if isArray {
            guard cursor.starts(with: "]]") else {
                throw cursor.error("expected ']]' to end the header [[\(name)]], found \(cursor.describeNext())")
            }
            cursor.advance(2)
        } else {
            guard cursor.peek() == UInt8(ascii: "]") else {
                throw cursor.error("expected ']' to end the header [\(name)], found \(cursor.describeNext())")
            }
            cursor.advance()
        }
        sections += 1
        return isArray ? try root.appendTable(keys, maxDepth: maxDepth) : try root.defineTable(keys, maxDepth: maxDepth)
    }

    /// `key = value`, `a.b.c = value`, into `table`.
    mutating func keyValue(into table: TOMLTableBuilder, section: Int) throws(TOMLError) {
        let keys = try key()
        cursor.skipWhitespace()
        guard cursor.peek() == UInt8(ascii: "=") else {
            throw cursor.error("expected '=' after the key \(TOMLKeyPath.text(keys.map(\.name))), found \(cursor.describeNext())")
        }
        cursor.advance()
        cursor.skipWhitespace()
        let value = try value(depth: table.depth + keys.count, path: table.path + keys.map(\.name))
        try table.define(keys, as: value, section: section, maxDepth: maxDepth)
    }

    /// A key, dotted or not: its parts in order.
    private mutating func key() throws(TOMLError) -> [TOMLKeyPart] {
        var parts = [try simpleKey()]
        while true {
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: ".") else { return parts }
            cursor.advance()
            cursor.skipWhitespace()
            parts.append(try simpleKey())
        }
    }

    /// A bare key (ASCII letters, digits, `-`, `_`), or a basic or literal string on one line.
    private mutating func simpleKey() throws(TOMLError) -> TOMLKeyPart {
        let start = cursor.mark
        let (line, column) = cursor.position(of: start)
        let name: String
        switch cursor.peek() {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            guard !cursor.starts(with: "\"\"\""), !cursor.starts(with: "'''") else {
                throw cursor.error("a key cannot be a multi-line string")
            }
            name = try cursor.peek() == UInt8(ascii: "\"") ? cursor.basicString() : cursor.literalString()
        case let byte? where byte.isBareKeyByte:
            while let byte = cursor.peek(), byte.isBareKeyByte { cursor.advance() }
            name = String(decoding: cursor.bytes[start.offset..<cursor.offset], as: UTF8.self)
        default:
            throw cursor.error("expected a key, found \(cursor.describeNext()); bare keys are ASCII letters, digits, '-' and '_' (quote any other key)")
        }
        return TOMLKeyPart(name: name, line: line, column: column)
    }
}
