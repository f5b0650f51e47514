/// Finds what the TOML library must never see. The bundled toml++ aborts the process (an
/// assertion in its key parser, found by FuzzTests) instead of reporting an error when a key is
/// expected — after `[`, `[[`, `{` or `,` in an inline table — and something else comes, or on
/// some non-ASCII characters outside strings. Both are invalid TOML 1.0, so refusing them here
/// costs no valid file anything.
enum TOMLPrecheck {
    struct Problem: Equatable {
        let line: Int
        let message: String
    }

    static func problem(in text: String) -> Problem? {
        enum State { case plain, comment, basic, literal, multiBasic, multiLiteral }
        var state = State.plain
        var line = 1
        var atLineStart = true
        var inHeader = false
        var expectKey = false
        var afterBrace = false
        /// After `=`, or `[` and `,` in an array: a value must come (in an array `]` may, too).
        var expectValue = false
        var openers: [Character] = []
        let characters = Array(text)
        var index = 0
        func starts(_ token: String) -> Bool {
            let token = Array(token)
            return index + token.count <= characters.count && Array(characters[index..<index + token.count]) == token
        }
        while index < characters.count {
            let character = characters[index]
            if character == "\n" || character == "\r\n" {
                if state == .plain, expectKey, inHeader || afterBrace {
                    return Problem(line: line, message: "expected a key after '\(afterBrace ? "{" : "[")', found the end of the line")
                }
                if state == .plain, expectValue, openers.isEmpty {
                    return Problem(line: line, message: "expected a value after '=', found the end of the line")
                }
                line += 1
                atLineStart = true
                if state == .comment || state == .basic || state == .literal { state = .plain }
                index += 1
                continue
            }
            switch state {
            case .plain:
                if character == " " || character == "\t" { break }
                if expectValue {
                    expectValue = false
                    let inArray = openers.last == "["
                    // In an array a comment may come before the value (it stays expected, on a later line).
                    if character == "#", inArray {
                        expectValue = true
                        state = .comment
                        index += 1
                        continue
                    }
                    if [",", "}", "#"].contains(character) || (character == "]" && !inArray) || (character == "=" ) {
                        return Problem(line: line, message: "expected a value, found \(String(reflecting: character))")
                    }
                }
                if expectKey {
                    expectKey = false
                    let isKeyStart = character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-"
                        || character == "\"" || character == "'")
                    if !isKeyStart && !(afterBrace && character == "}") {
                        return Problem(line: line, message: "expected a key after '\(afterBrace ? "{" : inHeader ? "[" : ",")', found \(String(reflecting: character))")
                    }
                }
                if character == "#" { state = .comment }
                else if starts("\"\"\"") { state = .multiBasic; index += 2 }
                else if starts("'''") { state = .multiLiteral; index += 2 }
                else if character == "\"" { state = .basic }
                else if character == "'" { state = .literal }
                else if !character.isASCII { return Problem(line: line, message: "\(String(reflecting: character)) outside a string or comment") }
                else if character == "[", atLineStart, openers.isEmpty {
                    if starts("[[") { index += 1 }
                    inHeader = true
                    expectKey = true
                    afterBrace = false
                } else if character == "]", inHeader {
                    if starts("]]") { index += 1 }
                    inHeader = false
                } else if character == "=", !inHeader {
                    expectValue = true
                } else if character == "[" || character == "{" {
                    openers.append(character)
                    if character == "{" { expectKey = true; afterBrace = true } else { expectValue = true }
                } else if character == "]" || character == "}" {
                    _ = openers.popLast()
                } else if character == ",", openers.last == "{" {
                    expectKey = true
                    afterBrace = false
                } else if character == ",", openers.last == "[" {
                    expectValue = true
                }
            case .comment:
                break
            case .basic, .multiBasic:
                if character == "\\" { index += 1 }
                else if state == .basic, character == "\"" { state = .plain }
                else if state == .multiBasic, starts("\"\"\"") { state = .plain; index += 2 }
            case .literal:
                if character == "'" { state = .plain }
            case .multiLiteral:
                if starts("'''") { state = .plain; index += 2 }
            }
            if character != " " && character != "\t" { atLineStart = false }
            index += 1
        }
        return nil
    }
}
