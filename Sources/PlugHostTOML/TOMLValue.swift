/// One value of a TOML document, and where the document wrote it.
public struct TOMLValue: Sendable {
    public enum Content: Sendable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case dateTime(TOMLDateTime)
        /// An array value, or an array of tables (`[[name]]`): TOML 1.0 lets an array mix types.
        case array([TOMLValue])
        /// A table: from a `[header]`, from dotted keys, or an inline table.
        case table(TOMLTable)
    }

    public var content: Content
    /// 1-based line where the value starts. For a table made by a header or by dotted keys: where
    /// its name was first written; for an element of an array of tables: its `[[header]]`.
    public let line: Int
    /// 1-based column (in Unicode scalars) where the value starts.
    public let column: Int

    public init(_ content: Content, line: Int, column: Int) {
        self.content = content
        self.line = line
        self.column = column
    }

    public var string: String? { if case .string(let value) = content { value } else { nil } }
    public var integer: Int64? { if case .integer(let value) = content { value } else { nil } }
    public var float: Double? { if case .float(let value) = content { value } else { nil } }
    public var boolean: Bool? { if case .boolean(let value) = content { value } else { nil } }
    public var dateTime: TOMLDateTime? { if case .dateTime(let value) = content { value } else { nil } }
    public var array: [TOMLValue]? { if case .array(let value) = content { value } else { nil } }
    public var table: TOMLTable? { if case .table(let value) = content { value } else { nil } }
}
