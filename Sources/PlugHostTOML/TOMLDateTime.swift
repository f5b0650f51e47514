/// A TOML date, time or date-time, kept as its checked RFC 3339 text: the host only shows these
/// or hands them on, and turning an offset date-time into an instant is the reader's business.
public struct TOMLDateTime: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `1979-05-27T07:32:00Z`, `1979-05-27T00:32:00.999-07:00`: one instant.
        case offsetDateTime
        /// `1979-05-27T07:32:00`: a wall-clock date and time in no particular zone.
        case localDateTime
        /// `1979-05-27`
        case localDate
        /// `07:32:00.5`
        case localTime
    }

    public let kind: Kind
    /// The text as written, except that the date-time delimiter is always `T` (TOML also allows
    /// `t` and a space) and `Z` is upper case, so that RFC 3339 readers accept it as it is.
    public let text: String

    /// Reads a date-time token (`YYYY-MM-DD`, `HH:MM:SS[.fraction]`, or both joined by `T`, `t` or
    /// a space, then an optional `Z` or `±HH:MM` after a date); the failure says what is wrong.
    static func parse(_ token: ArraySlice<UInt8>) -> Result<TOMLDateTime, TOMLDateTimeProblem> {
        var reader = DigitReader(bytes: Array(token))
        var text: [UInt8] = []
        var hasDate = false
        if reader.bytes.count >= 5, reader.bytes[4] == UInt8(ascii: "-") {
            guard let year = reader.digits(4), reader.take("-"), let month = reader.digits(2), reader.take("-"),
                  let day = reader.digits(2) else { return .failure(.malformed) }
            guard (1...12).contains(month) else { return .failure(.outOfRange("month \(month)")) }
            guard (1...daysIn(month: month, year: year)).contains(day) else {
                return .failure(.outOfRange("day \(day) of month \(month) in \(year)"))
            }
            hasDate = true
            text += reader.bytes[0..<10]
            guard let delimiter = reader.peek() else {
                return .success(TOMLDateTime(kind: .localDate, text: String(decoding: text, as: UTF8.self)))
            }
            guard delimiter == UInt8(ascii: "T") || delimiter == UInt8(ascii: "t") || delimiter == UInt8(ascii: " ") else {
                return .failure(.malformed)
            }
            reader.index += 1
            text.append(UInt8(ascii: "T"))
        }
        let timeStart = reader.index
        guard let hour = reader.digits(2), reader.take(":"), let minute = reader.digits(2), reader.take(":"),
              let second = reader.digits(2) else { return .failure(.malformed) }
        guard hour <= 23 else { return .failure(.outOfRange("hour \(hour)")) }
        guard minute <= 59 else { return .failure(.outOfRange("minute \(minute)")) }
        // 60 is a leap second, which RFC 3339 allows.
        guard second <= 60 else { return .failure(.outOfRange("second \(second)")) }
        if reader.take(".") {
            guard reader.skipDigits() > 0 else { return .failure(.malformed) }
        }
        text += reader.bytes[timeStart..<reader.index]
        guard let zone = reader.peek() else {
            let kind: Kind = hasDate ? .localDateTime : .localTime
            return .success(TOMLDateTime(kind: kind, text: String(decoding: text, as: UTF8.self)))
        }
        // A time of day alone has no zone: an offset needs a date to mean anything.
        guard hasDate else { return .failure(.malformed) }
        if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
            reader.index += 1
            text.append(UInt8(ascii: "Z"))
        } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
            let offsetStart = reader.index
            reader.index += 1
            guard let offsetHour = reader.digits(2), reader.take(":"), let offsetMinute = reader.digits(2) else { return .failure(.malformed) }
            guard offsetHour <= 23, offsetMinute <= 59 else { return .failure(.outOfRange("offset \(offsetHour):\(offsetMinute)")) }
            text += reader.bytes[offsetStart..<reader.index]
        } else {
            return .failure(.malformed)
        }
        guard reader.peek() == nil else { return .failure(.malformed) }
        return .success(TOMLDateTime(kind: .offsetDateTime, text: String(decoding: text, as: UTF8.self)))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Why a token that looks like a date or time is not one.
enum TOMLDateTimeProblem: Error {
    /// Not of the shape RFC 3339 (as TOML uses it) asks for.
    case malformed
    /// Of the right shape, with a field that does not exist (`month 13`).
    case outOfRange(String)
}

/// Reads fixed-width decimal fields of a date or time.
private struct DigitReader {
    let bytes: [UInt8]
    var index = 0

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard peek() == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// Exactly `count` digits, as a number.
    mutating func digits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    /// Skips a run of digits (a fraction of a second, of any length); returns how many.
    mutating func skipDigits() -> Int {
        let start = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }
}

extension TOMLDateTime {
    /// Whether a value token is meant as a date or time (`1979-05-27…`, `07:32…`) rather than a
    /// number: four digits and `-`, or two digits and `:`.
    static func looksLikeDateTime(_ token: ArraySlice<UInt8>) -> Bool {
        func digits(_ range: Range<Int>) -> Bool {
            token.count >= range.upperBound && token.dropFirst(range.lowerBound).prefix(range.count).allSatisfy(\.isASCIIDigit)
        }
        let bytes = Array(token)
        if bytes.count >= 5, bytes[4] == UInt8(ascii: "-"), digits(0..<4) { return true }
        if bytes.count >= 3, bytes[2] == UInt8(ascii: ":"), digits(0..<2) { return true }
        return false
    }
}
