@testable import PlugHostObservability
import Testing

@Suite struct LogEscapingTests {
    @Test func plainTextIsUnchanged() {
        #expect(LogEscaping.escaped("GET /api/items/42 from 127.0.0.1 — ünïcode ✓") == "GET /api/items/42 from 127.0.0.1 — ünïcode ✓")
    }

    @Test func everyLineBreakAndControlIsVisible() {
        #expect(LogEscaping.escaped("a\nb\rc\td") == "a\\nb\\rc\\td")
        #expect(LogEscaping.escaped("\u{1B}[31mred\u{7F}") == "\\u{1B}[31mred\\u{7F}")
        #expect(LogEscaping.escaped("next\u{85}line\u{2028}sep\u{2029}end\u{0}") == "next\\u{85}line\\u{2028}sep\\u{2029}end\\u{0}")
        // Characters that share a lead byte with the escaped ones stay as they are.
        #expect(LogEscaping.escaped("é… ©") == "é… ©")
    }

    @Test func aRenderedTextLineIsAlwaysOneLine() {
        let line = LogLineFormat(format: .text).render(level: .info, message: "one\ntwo", fields: [("path", "/a\r\nb")], label: "test", timestamp: "T")
        #expect(line == "T info test: one\\ntwo path=/a\\r\\nb\n")
    }

    @Test func excerptCutsOnACharacterBoundaryAndSaysHowLong() {
        #expect(LogEscaping.excerpt("short") == "short")
        let long = String(repeating: "é", count: 300)
        let cut = LogEscaping.excerpt(long, limit: 101)
        #expect(cut == String(repeating: "é", count: 50) + "… (600 bytes in all)")
    }
}
