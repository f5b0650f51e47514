extension TOMLTable {
    /// The table as a JSON object, keys in document order: what a plugin receives as its
    /// `[plugins.NAME]` settings.
    ///
    /// Strings, integers, booleans, arrays and tables map to their JSON counterparts; a finite
    /// float to a JSON number. JSON has no NaN or infinity, so those become the strings `"NaN"`,
    /// `"Infinity"` and `"-Infinity"` (the spelling of JavaScript and of toml++'s own JSON), which
    /// keeps the document valid and the value recognisable. Dates and times become their text.
    public var jsonText: String {
        var text = ""
        JSONText.append(self, to: &text)
        return text
    }
}

/// Writes TOML values as JSON text.
enum JSONText {
    static func append(_ table: TOMLTable, to text: inout String) {
        text += "{"
        for (index, entry) in table.entries.enumerated() {
            if index > 0 { text += ", " }
            appendString(entry.key, to: &text)
            text += ": "
            append(entry.value, to: &text)
        }
        text += "}"
    }

    static func append(_ value: TOMLValue, to text: inout String) {
        switch value.content {
        case .string(let string): appendString(string, to: &text)
        case .integer(let integer): text += String(integer)
        case .float(let float):
            if float.isNaN {
                text += "\"NaN\""
            } else if float.isInfinite {
                text += float < 0 ? "\"-Infinity\"" : "\"Infinity\""
            } else {
                // Swift's shortest exact form (`0.25`, `-0.0`, `1e+100`) is valid JSON as it is.
                text += "\(float)"
            }
        case .boolean(let boolean): text += boolean ? "true" : "false"
        case .dateTime(let dateTime): appendString(dateTime.text, to: &text)
        case .array(let elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += ", " }
                append(element, to: &text)
            }
            text += "]"
        case .table(let table): append(table, to: &text)
        }
    }

    /// A JSON string: a TOML basic string is one, character for character (the same escapes,
    /// every control character as `\uXXXX`, which JSON forbids raw).
    static func appendString(_ string: String, to text: inout String) {
        text += TOMLText.quoted(string)
    }
}
