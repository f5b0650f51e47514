package import HTTPTypes

/// A small fixed set of header names, asked "is this one of them?" for every header of every
/// plugin answer and every header edit. The names are grouped by length: a name of a length none
/// of them has (most names) is answered with one array index, the others by comparing with the
/// few of the same length; no name is hashed, as a `Set<HTTPField.Name>` would on every question.
package struct HeaderNameSet: Sendable {
    /// Every name, for ``union(_:)``.
    private let names: [HTTPField.Name]
    /// The names by the length of their canonical (lower-case) form.
    private let byLength: [[HTTPField.Name]]

    package init(_ names: some Sequence<HTTPField.Name>) {
        var unique: [HTTPField.Name] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        self.names = unique
        var byLength = [[HTTPField.Name]](repeating: [], count: (unique.map(\.canonicalName.utf8.count).max() ?? 0) + 1)
        for name in unique { byLength[name.canonicalName.utf8.count].append(name) }
        self.byLength = byLength
    }

    package func contains(_ name: HTTPField.Name) -> Bool {
        let length = name.canonicalName.utf8.count
        guard length < byLength.count else { return false }
        return byLength[length].contains(name)
    }

    package func union(_ other: [HTTPField.Name]) -> HeaderNameSet {
        HeaderNameSet(names + other)
    }
}
