import Glibc

/// The log's timestamp, `2026-12-05T17:41:14.123Z` (ISO 8601, UTC, milliseconds), made without
/// Foundation's date formatting: `gmtime_r` once per second, cached per thread, then the fraction.
package enum LogTimestamp {
    /// The current second's text, `2026-12-05T17:41:14Z`, for answers that carry a time to the
    /// second (the status messages): the same cached text as the log's, without the fraction.
    package static func currentSecond() -> String {
        secondText(seconds: time(nil))
    }

    static func secondText(seconds: Int) -> String {
        let prefix = SecondCache.prefix(for: seconds)
        return String(unsafeUninitializedCapacity: prefix.count + 1) { buffer in
            _ = buffer.initialize(fromContentsOf: prefix)
            buffer[prefix.count] = UInt8(ascii: "Z")
            return prefix.count + 1
        }
    }

    /// The current time's text.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return text(seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec / 1_000_000))
    }

    static func text(seconds: Int, milliseconds: Int) -> String {
        String(unsafeUninitializedCapacity: length) { write(seconds: seconds, milliseconds: milliseconds, into: $0) }
    }

    /// The bytes of ``now()``.
    static let length = 24

    /// Writes ``now()``'s text into `buffer` (at least ``length`` bytes) and returns its length:
    /// a log line is rendered without a string of its own for the time.
    static func writeNow(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return write(seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec / 1_000_000), into: buffer)
    }

    private static func write(seconds: Int, milliseconds: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let prefix = SecondCache.prefix(for: seconds)
        _ = UnsafeMutableBufferPointer(rebasing: buffer[..<prefix.count]).initialize(fromContentsOf: prefix)
        buffer[prefix.count] = UInt8(ascii: ".")
        buffer[prefix.count + 1] = UInt8(ascii: "0") + UInt8(milliseconds / 100)
        buffer[prefix.count + 2] = UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10)
        buffer[prefix.count + 3] = UInt8(ascii: "0") + UInt8(milliseconds % 10)
        buffer[prefix.count + 4] = UInt8(ascii: "Z")
        return prefix.count + 5
    }

    /// `2026-12-05T17:41:14` of the last second this thread formatted.
    private enum SecondCache {
        // One per thread: no lock, and a thread logs many lines in the same second.
        static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key) { pointer in pointer.map { Unmanaged<Entry>.fromOpaque($0).release() } }
            return key
        }()

        final class Entry {
            var second = Int.min
            var prefix: [UInt8] = []
        }

        static func prefix(for second: Int) -> [UInt8] {
            let entry: Entry
            if let existing = pthread_getspecific(key) {
                entry = Unmanaged<Entry>.fromOpaque(existing).takeUnretainedValue()
            } else {
                entry = Entry()
                pthread_setspecific(key, Unmanaged.passRetained(entry).toOpaque())
            }
            if entry.second != second {
                entry.second = second
                entry.prefix = format(second)
            }
            return entry.prefix
        }

        private static func format(_ second: Int) -> [UInt8] {
            var seconds = time_t(second)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var text: [UInt8] = []
            text.reserveCapacity(19)
            func append(_ value: Int32, width: Int) {
                var divisor: Int32 = 1
                for _ in 1..<width { divisor *= 10 }
                while divisor > 0 {
                    text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            }
            append(parts.tm_year + 1900, width: 4)
            text.append(UInt8(ascii: "-"))
            append(parts.tm_mon + 1, width: 2)
            text.append(UInt8(ascii: "-"))
            append(parts.tm_mday, width: 2)
            text.append(UInt8(ascii: "T"))
            append(parts.tm_hour, width: 2)
            text.append(UInt8(ascii: ":"))
            append(parts.tm_min, width: 2)
            text.append(UInt8(ascii: ":"))
            append(parts.tm_sec, width: 2)
            return text
        }
    }
}
