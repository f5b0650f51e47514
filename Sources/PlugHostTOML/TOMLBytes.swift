/// The classes of bytes the parser tells apart. It reads UTF-8 bytes: everything TOML gives a
/// meaning to is ASCII, and anything else only ever needs copying.
extension UInt8 {
    var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }

    /// ASCII letters, digits, `-` and `_`: what a bare key is made of.
    var isBareKeyByte: Bool {
        isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }

    /// What a number, boolean, date or time is written with: letters, digits, `_ + - . :`.
    var isValueTokenByte: Bool {
        isBareKeyByte || self == UInt8(ascii: "+") || self == UInt8(ascii: ".") || self == UInt8(ascii: ":")
    }

    /// The control characters TOML allows in no string or comment unescaped: all but tab
    /// (line feed and carriage return are line breaks, handled before this is asked).
    var isTOMLControl: Bool { (self < 0x20 && self != UInt8(ascii: "\t")) || self == 0x7F }

    /// The second to fourth bytes of a multi-byte UTF-8 sequence: no column of their own.
    var isUTF8Continuation: Bool { self & 0xC0 == 0x80 }

    var hexDigitValue: UInt32? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(self - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(self - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
