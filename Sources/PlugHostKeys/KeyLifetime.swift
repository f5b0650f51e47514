public import Foundation

/// Parses how long a new key lives: `90d`, `12h`, `30m`, `45s`, `2w`, `1y`, or an ISO-8601 date-time.
public enum KeyLifetime {
    public static func expiry(from text: String, now: Date = Date()) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000]
        if let unit = text.last, let seconds = units[unit], let count = Int(text.dropLast()), count > 0 {
            return now.addingTimeInterval(Double(count) * seconds)
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        // A bare date means its start, in UTC; anything longer must carry its zone to be unambiguous.
        guard text.utf8.count == 10 else { return nil }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}
