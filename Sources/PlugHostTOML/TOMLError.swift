/// Why a text is not a valid TOML 1.0 document, and where: the first place that does not fit.
public struct TOMLError: Error, Sendable, CustomStringConvertible {
    /// 1-based line.
    public let line: Int
    /// 1-based column, counted in Unicode scalars (a tab counts as one).
    public let column: Int
    /// What is wrong, phrased for the person editing the file.
    public let message: String

    init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
