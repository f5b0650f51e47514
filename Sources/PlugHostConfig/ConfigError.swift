/// A problem in host.toml, with the file, line and key it concerns, phrased so the reader can fix it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    /// 1-based line, when the problem can be pinned to one.
    public let line: Int?
    /// 1-based column (in characters) on that line, for a syntax error.
    public let column: Int?
    /// Dotted key path, e.g. `server.port`.
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, column: Int? = nil, key: String?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        if let key { return "\(location): key '\(key)': \(message)" }
        return "\(location): \(message)"
    }
}
