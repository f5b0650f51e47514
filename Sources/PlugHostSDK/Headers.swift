import PlugHostABI

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
public struct Headers: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [Header]

    public init(_ fields: [Header] = []) { self.fields = fields }

    /// Copies `count` pairs the host handed over.
    init(copying pairs: UnsafePointer<ph_pair_t>?, count: Int) {
        fields = (0..<count).compactMap { index in
            pairs.map { Header(name: String($0[index].name), value: String($0[index].value)) }
        }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Header(name: $0.0, value: $0.1) }
    }

    /// The first value of the header `name`, compared case-insensitively.
    public subscript(_ name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Adds a field, keeping any existing fields of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Header(name: name, value: value))
    }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        fields.removeAll { $0.name.lowercased() == lowered }
        fields.append(Header(name: name, value: value))
    }

    public func makeIterator() -> IndexingIterator<[Header]> { fields.makeIterator() }
}
