public import FoundationEssentials

/// Parses how long a new key lives: `90d`, `12h`, `30m`, `45s`, `2w`, `1y`, or an ISO-8601 date-time.
public enum KeyLifetime {
    public static func expiry(from text: String, now: Date = Date()) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000]
        if let unit = text.last, let seconds = units[unit], let count = Int(text.dropLast()), count > 0 {
            return now.addingTimeInterval(Double(count) * seconds)
        }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        // A bare date means its start, in UTC; anything longer must carry its zone to be unambiguous.
        guard text.utf8.count == 10 else { return nil }
        return try? Date.ISO8601FormatStyle().year().month().day().parse(text)
    }
}
