package import PlugHostTOML

/// Reads one table of host.toml against what the host expects, so that every problem — an
/// unknown key, a wrong type, a value out of range — is reported with its key and line.
///
/// Read each expected key once, then call ``finish()``, which reports any key nobody asked for.
package struct ConfigTableReader {
    let table: TOMLTable
    let path: [String]
    /// Where the table itself was written: the line of problems that no key of its own explains.
    let line: Int?
    package let context: ConfigContext
    private var consumed: Set<String> = []

    /// Parses a whole TOML document (host.toml, keys.toml) into a reader of its top level;
    /// a syntax error becomes a ``ConfigError`` with its line and column.
    package static func document(_ text: String, file: String) throws(ConfigError) -> ConfigTableReader {
        let root: TOMLTable
        do {
            root = try TOMLTable(parsing: text)
        } catch {
            throw ConfigError(file: file, line: error.line, column: error.column, key: nil, message: "not valid TOML: \(error.message)")
        }
        return ConfigTableReader(table: root, path: [], line: nil, context: ConfigContext(file: file))
    }

    /// A reader of `table`, found at `path`; `line` is where the table was written (a value's ``TOMLValue/line``).
    package init(table: TOMLTable, path: [String], line: Int?, context: ConfigContext) {
        self.table = table
        self.path = path
        self.line = line
        self.context = context
    }

    /// A problem with `key` of this table (or with the table itself), on the key's line.
    package func error(_ key: String?, _ message: String) -> ConfigError {
        let keyPath = key.map { path + [$0] } ?? path
        // A key that is not in the table (a required one, say) is the table's problem: its line.
        let line = key.flatMap { table.entry($0)?.line } ?? line
        return ConfigError(file: context.file, line: line, key: keyPath.isEmpty ? nil : keyPath.joined(separator: "."), message: message)
    }

    package mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        guard let raw = take(key) else { return value }
        guard let string = raw.string else { throw typeError(key, "a string", raw) }
        return string
    }

    mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let raw = take(key) else { return value }
        guard let bool = raw.boolean else { throw typeError(key, "true or false", raw) }
        return bool
    }

    mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = take(key) else { return value }
        // Int is 64 bits on every platform the host runs on, as TOML's integers are.
        // Not `raw.integer.flatMap(Int.init(exactly:))`, on which Swift 6.3.1's optimizer crashes.
        guard let wide = raw.integer, let int = Int(exactly: wide) else {
            throw typeError(key, "an integer from \(range.lowerBound) to \(range.upperBound)", raw)
        }
        guard range.contains(int) else {
            throw error(key, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(int)")
        }
        return int
    }

    package mutating func strings(_ key: String, default value: [String]) throws(ConfigError) -> [String] {
        guard let raw = take(key) else { return value }
        guard let array = raw.array else { throw typeError(key, "an array of strings", raw) }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else { throw typeError(key, "an array of strings", raw) }
            strings.append(string)
        }
        return strings
    }

    /// One rate (`"100/minute"`) or several (`["10/second", "1000/hour"]`).
    mutating func rates(_ key: String, default value: [Rate]) throws(ConfigError) -> [Rate] {
        guard let raw = take(key) else { return value }
        let texts: [String]
        if let string = raw.string {
            texts = [string]
        } else if let array = raw.array, array.allSatisfy({ $0.string != nil }), !array.isEmpty {
            texts = array.compactMap(\.string)
        } else {
            throw typeError(key, "a rate like \"100/minute\" or an array of rates", raw)
        }
        var rates: [Rate] = []
        for text in texts {
            guard let rate = Rate(text) else {
                throw error(key, "\"\(text)\" is not a rate; write COUNT/UNIT with UNIT second, minute, hour or day, e.g. \"100/minute\"")
            }
            rates.append(rate)
        }
        return rates
    }

    /// One of `choices`.
    mutating func choice(_ key: String, default value: String, from choices: [String]) throws(ConfigError) -> String {
        let string = try self.string(key, default: value)
        guard choices.contains(string) else {
            throw error(key, "expected one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(string)\"")
        }
        return string
    }

    /// A number of seconds; integers are accepted too.
    mutating func seconds(_ key: String, default value: Double, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let raw = take(key) else { return value }
        let number: Double
        // A switch, not `raw.float ?? raw.integer.map(Double.init)`: Swift 6.3.1's optimizer
        // crashes on that (an ownership error in CopyPropagation), in release builds only.
        switch raw.content {
        case .float(let value): number = value
        case .integer(let value): number = Double(value)
        default: throw typeError(key, "a number of seconds", raw)
        }
        guard range.contains(number) else {
            throw error(key, "expected a number of seconds from \(range.lowerBound) to \(range.upperBound), got \(number)")
        }
        return number
    }

    /// A sub-table, or an empty one when the key is absent.
    mutating func table(_ key: String) throws(ConfigError) -> ConfigTableReader {
        guard let raw = take(key) else {
            return ConfigTableReader(table: TOMLTable(), path: path + [key], line: line, context: context)
        }
        guard let table = raw.table else { throw typeError(key, "a table ([\((path + [key]).joined(separator: "."))])", raw) }
        return ConfigTableReader(table: table, path: path + [key], line: raw.line, context: context)
    }

    /// Keys not yet read, for tables whose remaining keys are free-form (e.g. `[plugins.NAME]`).
    var remainingKeys: [String] { table.keys.filter { !consumed.contains($0) }.sorted() }

    package mutating func take(_ key: String) -> TOMLValue? {
        consumed.insert(key)
        return table[key]
    }

    /// Reports the first key that was never read.
    package func finish() throws(ConfigError) {
        guard let unknown = remainingKeys.first else { return }
        let known = consumed.sorted().joined(separator: ", ")
        let section = path.isEmpty ? "the top level" : "[\(path.joined(separator: "."))]"
        throw error(unknown, "unknown key in \(section); the keys it accepts are: \(known.isEmpty ? "none" : known)")
    }

    private func typeError(_ key: String, _ expected: String, _ value: TOMLValue) -> ConfigError {
        error(key, "expected \(expected), got \(Self.describe(value)) (\(TOMLText.value(value)))")
    }

    private static func describe(_ value: TOMLValue) -> String {
        switch value.content {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a floating-point number"
        case .boolean: "a boolean"
        case .dateTime: "a date or time"
        }
    }
}

/// The file being read, shared by every reader of one document.
package struct ConfigContext: Sendable {
    let file: String
}
