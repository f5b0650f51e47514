/// TOML text for values and keys, on one line: what messages show of a value, and what writers
/// of TOML files (keys.toml) emit.
public enum TOMLText {
    /// `value` as TOML writes it: strings quoted and escaped, arrays as `[ 1, 2 ]`, tables inline
    /// as `{ a = 1 }`, floats as `nan`, `inf`, `-inf` or a decimal.
    public static func value(_ value: TOMLValue) -> String {
        switch value.content {
        case .string(let string): return quoted(string)
        case .integer(let integer): return String(integer)
        case .float(let float): return self.float(float)
        case .boolean(let boolean): return boolean ? "true" : "false"
        case .dateTime(let dateTime): return dateTime.text
        case .array(let elements):
            return elements.isEmpty ? "[]" : "[ " + elements.map(self.value).joined(separator: ", ") + " ]"
        case .table(let table):
            return table.isEmpty ? "{}" : "{ " + table.entries.map { key($0.key) + " = " + self.value($0.value) }.joined(separator: ", ") + " }"
        }
    }

    /// `string` as a TOML basic string: `"` and `\` escaped, and every control character, so the
    /// result is always one line of valid TOML.
    public static func quoted(_ string: String) -> String {
        var text = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\u{08}": text += "\\b"
            case "\t": text += "\\t"
            case "\n": text += "\\n"
            case "\u{0C}": text += "\\f"
            case "\r": text += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}": text += "\\u" + hex(scalar.value, digits: 4)
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// `key` bare when TOML allows it (ASCII letters, digits, `-`, `_`), else quoted.
    public static func key(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy { $0.isBareKeyByte }
        return bare ? key : quoted(key)
    }

    /// A float as TOML writes it: `nan`, `inf`, `-inf`, or Swift's shortest exact decimal
    /// (`0.25`, `3.0`, `1e+100`), which is valid TOML.
    static func float(_ float: Double) -> String {
        if float.isNaN { return "nan" }
        if float.isInfinite { return float < 0 ? "-inf" : "inf" }
        return "\(float)"
    }

    /// "a string", "an integer", …: what a value is, for messages.
    public static func kind(of value: TOMLValue) -> String {
        switch value.content {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a floating-point number"
        case .boolean: "a boolean"
        case .dateTime(let dateTime):
            switch dateTime.kind {
            case .offsetDateTime: "an offset date-time"
            case .localDateTime: "a local date-time"
            case .localDate: "a local date"
            case .localTime: "a local time"
            }
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// `value` in hexadecimal, upper case, zero-padded to `digits`.
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
