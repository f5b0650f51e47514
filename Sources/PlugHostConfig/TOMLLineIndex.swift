import Foundation

/// Finds the line on which each key of a TOML document is written, so errors can point at it.
///
/// TOMLKit reports lines only for syntax errors; for a document that parsed, this scans the text
/// once for table headers and `key = value` lines. Keys inside inline tables or multi-line values
/// are attributed to the line of the nearest enclosing key that could be found.
struct TOMLLineIndex: Sendable {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table: [String] = []
        var arrayCounts: [String: Int] = [:]
        var insideMultilineString = false
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let tripleQuotes = rawLine.components(separatedBy: "\"\"\"").count - 1 + rawLine.components(separatedBy: "'''").count - 1
            if insideMultilineString {
                if tripleQuotes % 2 == 1 { insideMultilineString = false }
                continue
            }
            if tripleQuotes % 2 == 1 { insideMultilineString = true }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let inner = line.dropFirst(isArray ? 2 : 1).prefix { $0 != "]" }
                table = Self.keyPath(String(inner))
                record(table, lineNumber)
                if isArray, let last = table.last {
                    // Entries of an array of tables are told apart as name[0], name[1], ...
                    let name = table.joined(separator: ".")
                    let index = arrayCounts[name, default: 0]
                    arrayCounts[name] = index + 1
                    table[table.count - 1] = "\(last)[\(index)]"
                    record(table, lineNumber)
                }
                continue
            }
            guard let equals = Self.firstUnquoted("=", in: line) else { continue }
            let keyPart = String(line[..<equals])
            record(table + Self.keyPath(keyPart), lineNumber)
        }
    }

    /// The line of `path` (e.g. `["server", "port"]`), or of its nearest recorded ancestor.
    func line(of path: [String]) -> Int? {
        var path = path
        while !path.isEmpty {
            if let line = lines[path.joined(separator: ".")] { return line }
            path.removeLast()
        }
        return nil
    }

    private mutating func record(_ path: [String], _ line: Int) {
        let key = path.joined(separator: ".")
        if lines[key] == nil { lines[key] = line }
    }

    /// Splits a dotted key (`a."b.c".d`) into its parts, unquoting quoted parts.
    static func keyPath(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    private static func firstUnquoted(_ target: Character, in line: String) -> String.Index? {
        var quote: Character?
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == target {
                return index
            }
            index = line.index(after: index)
        }
        return nil
    }
}
