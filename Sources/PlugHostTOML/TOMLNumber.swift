/// TOML integers and floats: which texts are numbers, and their values. Integers are 64-bit and
/// signed (a literal out of range is an error, never wrapped or clamped); floats are IEEE 754
/// doubles (a finite literal too large for one is an error, not infinity).
enum TOMLNumber {
    /// The value of a number token, or why the token is not a TOML number.
    static func parse(_ token: ArraySlice<UInt8>) -> Result<TOMLValue.Content, TOMLNumberProblem> {
        let bytes = Array(token)
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "inf", "+inf": return .success(.float(.infinity))
        case "-inf": return .success(.float(-.infinity))
        case "nan", "+nan": return .success(.float(.nan))
        case "-nan": return .success(.float(-.nan))
        default: break
        }
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        let signed = negative || bytes.first == UInt8(ascii: "+")
        if signed { index += 1 }
        if bytes.count >= index + 2, bytes[index] == UInt8(ascii: "0") {
            let radix: Int? = switch bytes[index + 1] {
            case UInt8(ascii: "x"): 16
            case UInt8(ascii: "o"): 8
            case UInt8(ascii: "b"): 2
            default: nil
            }
            if let radix {
                guard !signed else { return .failure(.signedPrefixed(text)) }
                return prefixedInteger(bytes[(index + 2)...], radix: radix, text: text)
            }
        }
        // A decimal: an integer part, then an optional fraction and an optional exponent.
        let integerPart = digitRun(bytes, from: index)
        guard integerPart.end > index else { return .failure(.notANumber(text)) }
        guard integerPart.wellFormed else { return .failure(.misplacedUnderscore(text)) }
        // `0` itself, but not `01`: TOML forbids leading zeros.
        if bytes[index] == UInt8(ascii: "0"), integerPart.end - index > 1 { return .failure(.leadingZero(text)) }
        index = integerPart.end
        var isFloat = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            let fraction = digitRun(bytes, from: index + 1)
            guard fraction.end > index + 1 else { return .failure(.notANumber(text)) }
            guard fraction.wellFormed else { return .failure(.misplacedUnderscore(text)) }
            index = fraction.end
            isFloat = true
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponent = digitRun(bytes, from: index)
            guard exponent.end > index else { return .failure(.notANumber(text)) }
            guard exponent.wellFormed else { return .failure(.misplacedUnderscore(text)) }
            index = exponent.end
            isFloat = true
        }
        guard index == bytes.count else { return .failure(.notANumber(text)) }
        let digits = bytes.filter { $0 != UInt8(ascii: "_") }
        if isFloat {
            // The grammar is checked above; what is left is plain decimal text strtod reads exactly.
            guard let value = Double(String(decoding: digits, as: UTF8.self)) else { return .failure(.notANumber(text)) }
            guard value.isFinite else { return .failure(.floatOutOfRange(text)) }
            return .success(.float(value))
        }
        // Accumulated on the negative side, which reaches Int64.min.
        var value: Int64 = 0
        for byte in digits.dropFirst(signed ? 1 : 0) {
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = shifted.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflowShift, !overflowAdd else { return .failure(.integerOutOfRange(text)) }
            value = next
        }
        if negative { return .success(.integer(value)) }
        guard value != .min else { return .failure(.integerOutOfRange(text)) }
        return .success(.integer(-value))
    }

    /// `0x…`, `0o…`, `0b…` after the prefix: digits of `radix`, `_` only between two of them.
    private static func prefixedInteger(_ bytes: ArraySlice<UInt8>, radix: Int, text: String) -> Result<TOMLValue.Content, TOMLNumberProblem> {
        var value: Int64 = 0
        var previousWasDigit = false
        for byte in bytes {
            if byte == UInt8(ascii: "_") {
                guard previousWasDigit else { return .failure(.misplacedUnderscore(text)) }
                previousWasDigit = false
                continue
            }
            guard let digit = byte.hexDigitValue.map(Int.init), digit < radix else { return .failure(.notANumber(text)) }
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: Int64(radix))
            let (next, overflowAdd) = shifted.addingReportingOverflow(Int64(digit))
            guard !overflowShift, !overflowAdd else { return .failure(.integerOutOfRange(text)) }
            value = next
            previousWasDigit = true
        }
        guard !bytes.isEmpty else { return .failure(.notANumber(text)) }
        guard previousWasDigit else { return .failure(.misplacedUnderscore(text)) }
        return .success(.integer(value))
    }

    /// The end of the run of decimal digits and underscores starting at `start`, and whether each
    /// underscore in it stands between two digits.
    private static func digitRun(_ bytes: [UInt8], from start: Int) -> (end: Int, wellFormed: Bool) {
        var index = start
        var wellFormed = true
        while index < bytes.count, bytes[index].isASCIIDigit || bytes[index] == UInt8(ascii: "_") {
            if bytes[index] == UInt8(ascii: "_") {
                let before = index > start && bytes[index - 1].isASCIIDigit
                let after = index + 1 < bytes.count && bytes[index + 1].isASCIIDigit
                if !before || !after { wellFormed = false }
            }
            index += 1
        }
        return (index, wellFormed)
    }
}

/// Why a value token is not a TOML number; each case carries the token as written.
enum TOMLNumberProblem: Error {
    case notANumber(String)
    case leadingZero(String)
    case misplacedUnderscore(String)
    case signedPrefixed(String)
    case integerOutOfRange(String)
    case floatOutOfRange(String)

    var message: String {
        switch self {
        case .notANumber(let text):
            // A word was most likely meant as a string; anything that starts like a number, as a number.
            text.first.map { $0.isLetter || $0 == "_" } == true
                ? "\(text) is not a value; a string must be quoted: \"\(text)\""
                : "\(text) is not a valid number"
        case .leadingZero(let text): "\(text) has a leading zero, which TOML does not allow in decimal numbers"
        case .misplacedUnderscore(let text): "\(text): an underscore in a number must stand between two digits"
        case .signedPrefixed(let text): "\(text): hexadecimal, octal and binary integers take no sign"
        case .integerOutOfRange(let text): "\(text) is out of the range of a 64-bit integer (\(Int64.min) to \(Int64.max))"
        case .floatOutOfRange(let text): "\(text) is too large for a 64-bit float"
        }
    }
}
