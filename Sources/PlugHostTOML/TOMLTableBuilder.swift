/// A table while its document is read. How the table came to exist decides what the rest of the
/// document may still do to it — TOML 1.0 defines every table once:
///
/// - a `[header]` defines it; a second header for it is an error;
/// - a header for `a.b.c` makes `a` and `a.b` implicitly, and each may be defined later, once;
/// - dotted keys (`b.c = 1`) define the tables they name, and may add to them only within the
///   same table section; no header may define those tables afterwards (one may add sub-tables);
/// - dotted keys may not add to a table a header defined;
/// - inline tables and array values are finished once written (they are kept as values here).
final class TOMLTableBuilder {
    enum Origin {
        /// Named by a header as the parent of another table; not defined yet.
        case implicit
        /// Defined by a header (`[a]`, or one `[[a]]` element) on this line.
        case header(line: Int)
        /// Defined by dotted keys in `section` (each header starts a new one), first on this line.
        case dotted(section: Int, line: Int)
        /// The table of an inline table being read.
        case inline
    }

    enum Node {
        case table(TOMLTableBuilder)
        case arrayOfTables(TOMLTableArrayBuilder)
        /// A finished value: any scalar, an array value, an inline table.
        case value(TOMLValue)
    }

    struct Entry {
        let key: TOMLKeyPart
        var node: Node
    }

    var origin: Origin
    /// How many tables and arrays enclose this one: bounded, so that nothing that walks the
    /// finished document can run out of stack.
    let depth: Int
    /// The keys from the document's root, for messages.
    let path: [String]
    let line: Int
    let column: Int
    private var entries: [Entry] = []
    private var positions: [String: Int] = [:]

    init(origin: Origin, depth: Int, path: [String], line: Int, column: Int) {
        self.origin = origin
        self.depth = depth
        self.path = path
        self.line = line
        self.column = column
    }

    // MARK: What a document may do

    /// `keys = value` in this table, in table section `section`.
    func define(_ keys: [TOMLKeyPart], as value: TOMLValue, section: Int, maxDepth: Int) throws(TOMLError) {
        guard let last = keys.last else { return }
        var table = self
        for part in keys.dropLast() {
            table = try table.dottedChild(part, section: section, maxDepth: maxDepth)
        }
        if let existing = table.entry(last.name) {
            throw Self.error(at: last, "the key \(table.describe(last.name)) is defined twice; first on line \(existing.key.line)")
        }
        table.add(last, .value(value))
    }

    /// `[keys]`, with this table the document's root: the table the following lines fill.
    func defineTable(_ keys: [TOMLKeyPart], maxDepth: Int) throws(TOMLError) -> TOMLTableBuilder {
        guard let last = keys.last else { return self }
        var table = self
        for part in keys.dropLast() {
            table = try table.headerChild(part, maxDepth: maxDepth)
        }
        let path = table.path + [last.name]
        let name = TOMLKeyPath.text(path)
        guard let existing = table.entry(last.name) else {
            let child = try table.makeChild(last, origin: .header(line: last.line), depth: table.depth + 1, maxDepth: maxDepth)
            table.add(last, .table(child))
            return child
        }
        switch existing.node {
        case .table(let child):
            switch child.origin {
            case .implicit:
                child.origin = .header(line: last.line)
                return child
            case .header(let line):
                throw Self.error(at: last, "the table [\(name)] is defined twice; first on line \(line)")
            case .dotted(_, let line):
                throw Self.error(at: last, "the table [\(name)] was defined by dotted keys on line \(line); a header cannot define it again")
            case .inline:
                throw Self.error(at: last, "\(name) is an inline table (line \(child.line)), which cannot be extended")
            }
        case .arrayOfTables(let array):
            throw Self.error(at: last, "\(name) is an array of tables (line \(array.line)); [[\(name)]] adds an element to it, [\(name)] cannot")
        case .value(let value):
            throw Self.error(at: last, Self.notATable(name, value))
        }
    }

    /// `[[keys]]`, with this table the document's root: the new element, which the following lines fill.
    func appendTable(_ keys: [TOMLKeyPart], maxDepth: Int) throws(TOMLError) -> TOMLTableBuilder {
        guard let last = keys.last else { return self }
        var table = self
        for part in keys.dropLast() {
            table = try table.headerChild(part, maxDepth: maxDepth)
        }
        let name = TOMLKeyPath.text(table.path + [last.name])
        // The array counts as a level of its own, between the table and its elements.
        let element = try table.makeChild(last, origin: .header(line: last.line), depth: table.depth + 2, maxDepth: maxDepth)
        guard let existing = table.entry(last.name) else {
            table.add(last, .arrayOfTables(TOMLTableArrayBuilder(elements: [element], line: last.line, column: last.column)))
            return element
        }
        switch existing.node {
        case .arrayOfTables(let array):
            array.elements.append(element)
            return element
        case .table(let child):
            throw Self.error(at: last, "\(name) is a table (line \(child.line)), not an array of tables; [[\(name)]] cannot add to it")
        case .value(let value):
            if value.array != nil {
                throw Self.error(at: last, "\(name) is an array value (line \(value.line)); [[\(name)]] can only add to an array of tables")
            }
            throw Self.error(at: last, Self.notATable(name, value))
        }
    }

    // MARK: Walking down

    /// The table a header's key part names on the way to the table it defines: made if absent
    /// (implicitly), the last element of an array of tables, never a value.
    private func headerChild(_ part: TOMLKeyPart, maxDepth: Int) throws(TOMLError) -> TOMLTableBuilder {
        guard let existing = entry(part.name) else {
            let child = try makeChild(part, origin: .implicit, depth: depth + 1, maxDepth: maxDepth)
            add(part, .table(child))
            return child
        }
        switch existing.node {
        case .table(let child):
            return child
        case .arrayOfTables(let array):
            guard let element = array.elements.last else {
                throw Self.error(at: part, "\(describe(part.name)) is an empty array of tables")
            }
            return element
        case .value(let value):
            throw Self.error(at: part, Self.notATable(TOMLKeyPath.text(path + [part.name]), value))
        }
    }

    /// The table a dotted key's part names on the way to its value: made if absent, added to only
    /// when dotted keys of the same section made it (or a header only implied it).
    private func dottedChild(_ part: TOMLKeyPart, section: Int, maxDepth: Int) throws(TOMLError) -> TOMLTableBuilder {
        guard let existing = entry(part.name) else {
            let child = try makeChild(part, origin: .dotted(section: section, line: part.line), depth: depth + 1, maxDepth: maxDepth)
            add(part, .table(child))
            return child
        }
        let name = TOMLKeyPath.text(path + [part.name])
        switch existing.node {
        case .table(let child):
            switch child.origin {
            case .implicit:
                child.origin = .dotted(section: section, line: part.line)
                return child
            case .dotted(let madeIn, _) where madeIn == section:
                return child
            case .dotted(_, let line):
                throw Self.error(at: part, "the table \(name) was defined by dotted keys in another table section (line \(line)); it cannot be added to here")
            case .header(let line):
                throw Self.error(at: part, "the table [\(name)] is defined by its header on line \(line); dotted keys cannot add to it")
            case .inline:
                throw Self.error(at: part, "\(name) is an inline table (line \(child.line)), which cannot be extended")
            }
        case .arrayOfTables(let array):
            throw Self.error(at: part, "\(name) is an array of tables (line \(array.line)); dotted keys cannot add to it")
        case .value(let value):
            throw Self.error(at: part, Self.notATable(name, value))
        }
    }

    private func makeChild(_ part: TOMLKeyPart, origin: Origin, depth: Int, maxDepth: Int) throws(TOMLError) -> TOMLTableBuilder {
        guard depth <= maxDepth else {
            throw Self.error(at: part, "tables and arrays are nested more than \(maxDepth) levels deep")
        }
        return TOMLTableBuilder(origin: origin, depth: depth, path: path + [part.name], line: part.line, column: part.column)
    }

    // MARK: Entries

    private func entry(_ key: String) -> Entry? { positions[key].map { entries[$0] } }

    private func add(_ key: TOMLKeyPart, _ node: Node) {
        positions[key.name] = entries.count
        entries.append(Entry(key: key, node: node))
    }

    private func describe(_ key: String) -> String { TOMLKeyPath.text(path + [key]) }

    /// The finished table.
    func finish() -> TOMLTable {
        var table = TOMLTable()
        for entry in entries {
            let value: TOMLValue = switch entry.node {
            case .table(let child): TOMLValue(.table(child.finish()), line: child.line, column: child.column)
            case .arrayOfTables(let array):
                TOMLValue(.array(array.elements.map { TOMLValue(.table($0.finish()), line: $0.line, column: $0.column) }), line: array.line, column: array.column)
            case .value(let value): value
            }
            table.append(TOMLTable.Entry(key: entry.key.name, line: entry.key.line, column: entry.key.column, value: value))
        }
        return table
    }

    // MARK: Messages

    static func error(at part: TOMLKeyPart, _ message: String) -> TOMLError {
        TOMLError(line: part.line, column: part.column, message: message)
    }

    /// Why `name`, already a value, cannot be used as a table.
    static func notATable(_ name: String, _ value: TOMLValue) -> String {
        if value.table != nil { return "\(name) is an inline table (line \(value.line)), which cannot be extended" }
        return "the key \(name) is already \(TOMLText.kind(of: value)) (line \(value.line)), not a table"
    }
}

/// An array of tables (`[[name]]`) while its document is read: each header adds an element.
final class TOMLTableArrayBuilder {
    var elements: [TOMLTableBuilder]
    let line: Int
    let column: Int

    init(elements: [TOMLTableBuilder], line: Int, column: Int) {
        self.elements = elements
        self.line = line
        self.column = column
    }
}
