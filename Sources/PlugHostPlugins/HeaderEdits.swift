package import HTTPTypes
package import Logging
import PlugHostABI
package import PlugHostConfig

/// The header changes a middleware hook answered with (`proceed()`), copied out of the plugin's memory.
package struct HeaderEdits: Sendable {
    enum Edit: Sendable {
        /// Replaces every field of that name with this one.
        case set(HTTPField)
        case remove(HTTPField.Name)
    }

    /// The edits in order: the first kept apart, since most hooks make one change (or none),
    /// which then needs no array of its own.
    private let first: Edit?
    private let rest: [Edit]

    /// Copies `pairs`: a NULL value removes the header; invalid names and values are dropped (logged).
    init(copying pairs: UnsafeBufferPointer<ph_pair_t>, owner: CallOwner, logger: Logger) {
        var first: Edit?
        var rest: [Edit] = []
        for pair in pairs {
            guard let edit = Self.edit(pair, owner: owner, logger: logger) else { continue }
            if first == nil { first = edit } else { rest.append(edit) }
        }
        self.first = first
        self.rest = rest
    }

    private static func edit(_ pair: ph_pair_t, owner: CallOwner, logger: Logger) -> Edit? {
        guard pair.value.data != nil else {
            guard let name = HTTPField.Name(pair.name.copiedString) else {
                logger.warning("plugin '\(owner.plugin)' asked to remove an invalid header name in \(owner.what); ignored")
                return nil
            }
            return .remove(name)
        }
        return SafeHeader.field(pair, owner: owner, logger: logger).map(Edit.set)
    }

    /// Applies the edits to `fields`, except those on `protected` names, which are logged and skipped.
    package func apply(to fields: inout HTTPFields, protected: HeaderNameSet, owner: CallOwner, logger: Logger) {
        if let first { Self.apply(first, to: &fields, protected: protected, owner: owner, logger: logger) }
        for edit in rest { Self.apply(edit, to: &fields, protected: protected, owner: owner, logger: logger) }
    }

    private static func apply(_ edit: Edit, to fields: inout HTTPFields, protected: HeaderNameSet, owner: CallOwner, logger: Logger) {
        let name = switch edit {
        case .set(let field): field.name
        case .remove(let name): name
        }
        guard !protected.contains(name) else {
            AnswerFraming.reportOnce("\(owner.plugin)|\(owner.middleware ?? "")|\(owner.kind)|\(name.canonicalName)", logger,
                "plugin '\(owner.plugin)' may not change \(name.rawName) in \(owner.what); that edit is ignored (logged once)")
            return
        }
        switch edit {
        // A new name is appended as the field it already is, where the subscript would make the
        // value legal again and rebuild the list (a Cookie still goes through it, to be split).
        case .set(let field) where field.name != .cookie && !fields.contains(field.name): fields.append(field)
        case .set(let field): fields[field.name] = field.value
        case .remove(let name): fields[name] = nil
        }
    }
}
