package import TOMLKit

/// Reads one table of host.toml against what the host expects, so that every problem — an
/// unknown key, a wrong type, a value out of range — is reported with its key and line.
///
/// Read each expected key once, then call ``finish()``, which reports any key nobody asked for.
package struct ConfigTableReader {
    let table: TOMLTable
    let path: [String]
    package let context: ConfigContext
    private var consumed: Set<String> = []

    /// Parses a whole TOML document (host.toml, keys.toml) into a reader of its top level;
    /// a syntax error becomes a ``ConfigError`` with the line TOMLKit reports.
    package static func document(_ text: String, file: String) throws(ConfigError) -> ConfigTableReader {
        if let problem = TOMLPrecheck.problem(in: text) {
            throw ConfigError(file: file, line: problem.line, key: nil,
                              message: "not valid TOML: \(problem.message); bare keys are ASCII letters, digits, '-' and '_' (quote any other key)")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: nil, message: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, message: "not valid TOML: \(error)")
        }
        return ConfigTableReader(table: root, path: [], context: ConfigContext(file: file, lines: TOMLLineIndex(text: text)))
    }

    package init(table: TOMLTable, path: [String], context: ConfigContext) {
        self.table = table
        self.path = path
        self.context = context
    }

    package func error(_ key: String?, _ message: String) -> ConfigError {
        let keyPath = key.map { path + [$0] } ?? path
        return context.error(at: keyPath, message)
    }

    package mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        guard let raw = take(key) else { return value }
        guard let string = raw.string else { throw typeError(key, "a string", raw) }
        return string
    }

    mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let raw = take(key) else { return value }
        guard let bool = raw.bool else { throw typeError(key, "true or false", raw) }
        return bool
    }

    mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = take(key) else { return value }
        guard let int = raw.int else { throw typeError(key, "an integer from \(range.lowerBound) to \(range.upperBound)", raw) }
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
        guard let number = raw.double ?? raw.int.map(Double.init) else {
            throw typeError(key, "a number of seconds", raw)
        }
        guard range.contains(number) else {
            throw error(key, "expected a number of seconds from \(range.lowerBound) to \(range.upperBound), got \(number)")
        }
        return number
    }

    /// A sub-table, or an empty one when the key is absent.
    mutating func table(_ key: String) throws(ConfigError) -> ConfigTableReader {
        guard let raw = take(key) else {
            return ConfigTableReader(table: TOMLTable(), path: path + [key], context: context)
        }
        guard let table = raw.table else { throw typeError(key, "a table ([\((path + [key]).joined(separator: "."))])", raw) }
        return ConfigTableReader(table: table, path: path + [key], context: context)
    }

    /// Keys not yet read, for tables whose remaining keys are free-form (e.g. `[plugins.NAME]`).
    var remainingKeys: [String] { table.keys.filter { !consumed.contains($0) }.sorted() }

    package mutating func take(_ key: String) -> (any TOMLValueConvertible)? {
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

    private func typeError(_ key: String, _ expected: String, _ value: any TOMLValueConvertible) -> ConfigError {
        error(key, "expected \(expected), got \(Self.describe(value.type)) (\(value.tomlValue.debugDescription))")
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date, .time, .dateTime: "a date or time"
        }
    }
}

/// The file being read and where its keys are, shared by every reader of one document.
package struct ConfigContext: Sendable {
    let file: String
    let lines: TOMLLineIndex

    func error(at path: [String], _ message: String) -> ConfigError {
        ConfigError(file: file, line: lines.line(of: path), key: path.isEmpty ? nil : path.joined(separator: "."), message: message)
    }
}
