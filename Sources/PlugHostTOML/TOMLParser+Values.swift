/// Values: strings, arrays and inline tables by their first character; numbers, booleans, dates
/// and times as one token.
extension TOMLParser {
    /// The value that starts here, `depth` levels below the root; `path` names it in messages.
    mutating func value(depth: Int, path: [String]) throws(TOMLError) -> TOMLValue {
        let start = cursor.mark
        let (line, column) = cursor.position(of: start)
        let content: TOMLValue.Content
        switch cursor.peek() {
        case UInt8(ascii: "\""):
            content = .string(try cursor.starts(with: "\"\"\"") ? cursor.multilineBasicString() : cursor.basicString())
        case UInt8(ascii: "'"):
            content = .string(try cursor.starts(with: "'''") ? cursor.multilineLiteralString() : cursor.literalString())
        case UInt8(ascii: "["):
            content = .array(try array(depth: depth, path: path))
        case UInt8(ascii: "{"):
            content = .table(try inlineTable(depth: depth, path: path))
        default:
            content = try token()
        }
        return TOMLValue(content, line: line, column: column)
    }

    /// `true`, `false`, a number, a date or a time.
    private mutating func token() throws(TOMLError) -> TOMLValue.Content {
        let start = cursor.mark
        let bytes = cursor.bytes
        var end = start.offset
        while end < bytes.count, bytes[end].isValueTokenByte { end += 1 }
        // A date and a time may be joined by a space: `1979-05-27 07:32:00Z`.
        if end - start.offset == 10, end + 3 < bytes.count, bytes[end] == UInt8(ascii: " "), bytes[end + 1].isASCIIDigit,
           bytes[end + 2].isASCIIDigit, bytes[end + 3] == UInt8(ascii: ":"), TOMLDateTime.looksLikeDateTime(bytes[start.offset..<end]) {
            end += 1
            while end < bytes.count, bytes[end].isValueTokenByte { end += 1 }
        }
        guard end > start.offset else { throw cursor.error("expected a value, found \(cursor.describeNext())") }
        let token = bytes[start.offset..<end]
        cursor.advance(end - start.offset)
        let text = String(decoding: token, as: UTF8.self)
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if TOMLDateTime.looksLikeDateTime(token) {
            switch TOMLDateTime.parse(token) {
            case .success(let dateTime): return .dateTime(dateTime)
            case .failure(.malformed):
                throw cursor.error("\(text) is not a date or time as TOML writes them: 1979-05-27T07:32:00Z, 1979-05-27T07:32:00, 1979-05-27, 07:32:00", at: start)
            case .failure(.outOfRange(let field)):
                throw cursor.error("\(text) is not a valid date or time: there is no \(field)", at: start)
            }
        }
        switch TOMLNumber.parse(token) {
        case .success(let number): return number
        case .failure(let problem): throw cursor.error(problem.message, at: start)
        }
    }

    /// `[ … ]`: values separated by commas, a trailing comma allowed, and line breaks and
    /// comments anywhere between them.
    private mutating func array(depth: Int, path: [String]) throws(TOMLError) -> [TOMLValue] {
        let open = cursor.mark
        try checkDepth(depth, at: open)
        cursor.advance()
        var elements: [TOMLValue] = []
        while true {
            try cursor.skipBlankSpace()
            if cursor.atEnd { throw cursor.error("the array opened on line \(open.line) is not closed with ']'") }
            if cursor.peek() == UInt8(ascii: "]") {
                cursor.advance()
                return elements
            }
            elements.append(try value(depth: depth + 1, path: path))
            try cursor.skipBlankSpace()
            switch cursor.peek() {
            case UInt8(ascii: ","):
                cursor.advance()
            case UInt8(ascii: "]"):
                cursor.advance()
                return elements
            case nil:
                throw cursor.error("the array opened on line \(open.line) is not closed with ']'")
            default:
                throw cursor.error("expected ',' or ']' after an element of the array, found \(cursor.describeNext())")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, finished once closed.
    private mutating func inlineTable(depth: Int, path: [String]) throws(TOMLError) -> TOMLTable {
        let open = cursor.mark
        try checkDepth(depth, at: open)
        let (line, column) = cursor.position(of: open)
        cursor.advance()
        let table = TOMLTableBuilder(origin: .inline, depth: depth, path: path, line: line, column: column)
        sections += 1
        let section = sections
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "}") {
            cursor.advance()
            return table.finish()
        }
        while true {
            cursor.skipWhitespace()
            try checkStillInline(open)
            if cursor.peek() == UInt8(ascii: "}") { throw cursor.error("a trailing comma is not allowed in an inline table") }
            try keyValue(into: table, section: section)
            cursor.skipWhitespace()
            try checkStillInline(open)
            switch cursor.peek() {
            case UInt8(ascii: ","):
                cursor.advance()
            case UInt8(ascii: "}"):
                cursor.advance()
                return table.finish()
            default:
                throw cursor.error("expected ',' or '}' after a value in the inline table, found \(cursor.describeNext())")
            }
        }
    }

    /// TOML 1.0 keeps an inline table on one line, so neither a line break nor a comment may come.
    private func checkStillInline(_ open: TOMLCursor.Mark) throws(TOMLError) {
        switch cursor.peek() {
        case nil:
            throw cursor.error("the inline table opened on line \(open.line) is not closed with '}'")
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
            throw cursor.error("an inline table must be on one line in TOML 1.0: close it with '}' before \(cursor.describeNext()) (or use a [table])")
        default:
            return
        }
    }

    private func checkDepth(_ depth: Int, at mark: TOMLCursor.Mark) throws(TOMLError) {
        guard depth <= maxDepth else {
            throw cursor.error("tables and arrays are nested more than \(maxDepth) levels deep", at: mark)
        }
    }
}
