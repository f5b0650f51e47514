extension TOMLTable {
    /// Parses a TOML 1.0 document into its root table.
    ///
    /// Any text gives a table or a ``TOMLError`` with the line and column of the first problem;
    /// none traps. Tables and arrays may be nested at most `maxDepth` levels deep (each part of a
    /// dotted key or header is a level, as is each array and inline table; an array of tables and
    /// its elements are two), so that no document can exhaust the stack of the code that reads or
    /// walks it.
    public init(parsing text: String, maxDepth: Int = TOMLTable.defaultMaxDepth) throws(TOMLError) {
        var parser = TOMLParser(text: text, maxDepth: maxDepth)
        self = try parser.document()
    }

    /// Deep enough for any configuration. At this depth, reading the deepest document and
    /// rendering it take under 128 KiB of stack in a release build (about 1 MiB in a debug build).
    public static let defaultMaxDepth = 128
}
