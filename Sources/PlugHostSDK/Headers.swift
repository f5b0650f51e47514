/// One HTTP header.
public struct Header: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// HTTP headers in order, looked up without regard to case.
///
/// A request's (or an answer's) headers are read from the host's view as they are asked for: a
/// lookup by name copies that one value, not the list. ``fields``, iterating, and changing the
/// headers make the list.
public struct Headers: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    private var storage: Storage

    private enum Storage: Sendable {
        case fields([Header])
        case host(RequestSource, RequestSource.HeaderList)
    }

    public init(_ fields: [Header] = []) { storage = .fields(fields) }

    init(source: RequestSource, list: RequestSource.HeaderList) { storage = .host(source, list) }

    public init(dictionaryLiteral elements: (String, String)...) {
        storage = .fields(elements.map { Header(name: $0.0, value: $0.1) })
    }

    /// Every field, in order.
    public var fields: [Header] {
        switch storage {
        case .fields(let fields): fields
        case .host(let source, let list): source.headers(list)
        }
    }

    /// The first value of the header `name`, compared case-insensitively.
    public subscript(_ name: String) -> String? {
        switch storage {
        case .fields(let fields): fields.first { HeaderName.matches(name, $0.name) }?.value
        case .host(let source, let list): source.firstHeader(named: name, in: list)
        }
    }

    /// Adds a field, keeping any existing fields of the same name.
    public mutating func add(_ name: String, _ value: String) {
        var fields = fields
        fields.append(Header(name: name, value: value))
        storage = .fields(fields)
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        var fields = fields
        fields.removeAll { HeaderName.matches(name, $0.name) }
        fields.append(Header(name: name, value: value))
        storage = .fields(fields)
    }

    public func makeIterator() -> IndexingIterator<[Header]> { fields.makeIterator() }
}
