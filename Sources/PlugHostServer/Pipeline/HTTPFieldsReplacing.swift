import HTTPTypes

extension HTTPFields {
    /// Sets every field of `fields`, replacing whatever fields of those names were there: one pass
    /// over the fields instead of one per name (the subscript setter scans once per name and
    /// legalizes its value each time), with the fields made once by the caller. For the headers
    /// the host owns on every answer: the security headers, the rate-limit headers.
    mutating func replaceAll(with fields: HTTPFields) {
        guard !fields.isEmpty else { return }
        // Looked up by name (a scan that copies no field), not by comparing every field with
        // every new one: each comparison copied two fields, three references each.
        if fields.contains(where: { contains($0.name) }) {
            func isReplaced(_ field: HTTPField) -> Bool { fields.contains(field.name) }
            removeAll(where: isReplaced)
        }
        // Room for the host's other fields still to come (the security headers after the
        // rate-limit ones, then Date): the list grows once per answer, not at each step.
        reserveCapacity(count + fields.count + 8)
        append(contentsOf: fields)
    }
}
