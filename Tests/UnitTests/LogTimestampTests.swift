@testable import PlugHostObservability
import Testing

@Suite struct LogTimestampTests {
    @Test func theLogsTimeAndTheSecondsTextShareOneFormat() {
        #expect(LogTimestamp.text(seconds: 1_795_651_319, milliseconds: 7) == "2026-11-26T00:01:59.007Z")
        #expect(LogTimestamp.secondText(seconds: 1_795_651_319) == "2026-11-26T00:01:59Z")
        #expect(LogTimestamp.currentSecond().utf8.count == 20 && LogTimestamp.currentSecond().hasSuffix("Z"))
    }
}
