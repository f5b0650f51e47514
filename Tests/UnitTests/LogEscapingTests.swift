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

    /// The request log's lines are rendered into a buffer without strings of their own: the same
    /// line as `render`, after the time, whether the pieces are clean (copied as they are) or
    /// hold something to escape (rendered with the escapes).
    @Test(arguments: [("/a/b", "k"), ("/a\u{1B}b", "k"), ("/a/b", "k\r\nforged"), ("/ünï/\u{2028}", "é")])
    func aLineRenderedInPlaceIsTheRenderedLine(target: String, key: String) {
        let format = LogLineFormat(format: .text)
        let message: LogMessage = "request GET \(target) from \("127.0.0.1") — ünï"
        let fields = [("duration_ms", "0.12"), ("key", key), ("status", "200")]
        var rendered = ""
        format.withLine(level: .info, message: message, fields: fields, label: "plughost") { rendered = String(decoding: $0, as: UTF8.self) }
        let time = String(rendered.prefix(24))
        #expect(time.utf8.count == 24 && time.hasSuffix("Z"))
        #expect(rendered == format.render(level: .info, message: message.text, fields: fields, label: "plughost", timestamp: time))
        #expect(rendered.filter { $0 == "\n" }.count == 1 && rendered.hasSuffix(" status=200\n"))
        #expect(!rendered.contains("\u{1B}") && !rendered.contains("\r") && !rendered.contains("\u{2028}"))
    }

    /// A message of more pieces than it keeps inline loses none of them.
    @Test func aLongMessageKeepsEveryPiece() {
        let parts = (0..<20).map { "p\($0)" }
        var message: LogMessage = ""
        message = "\(parts[0]),\(parts[1]),\(parts[2]),\(parts[3]),\(parts[4]),\(parts[5]),\(parts[6]),\(parts[7]),\(parts[8]),\(parts[9]),\(parts[10]),\(parts[11]),\(parts[12]),\(parts[13]),\(parts[14]),\(parts[15]),\(parts[16]),\(parts[17]),\(parts[18]),\(parts[19])"
        #expect(message.text == parts.joined(separator: ","))
        #expect(LogMessage(stringLiteral: "plain").text == "plain")
    }

    @Test func excerptCutsOnACharacterBoundaryAndSaysHowLong() {
        #expect(LogEscaping.excerpt("short") == "short")
        let long = String(repeating: "é", count: 300)
        let cut = LogEscaping.excerpt(long, limit: 101)
        #expect(cut == String(repeating: "é", count: 50) + "… (600 bytes in all)")
    }
}
