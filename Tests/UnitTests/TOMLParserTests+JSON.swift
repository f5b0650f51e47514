import Foundation
import PlugHostTOML
import Testing

extension TOMLParserTests {
    /// `[plugins.NAME]` tables reach plugins as JSON: exact text, valid JSON, every value kept.
    @Suite struct JSON {
        static func json(_ text: String) throws -> String { try TOMLTable(parsing: text).jsonText }

        @Test func aPluginTableBecomesAnObjectInDocumentOrder() throws {
            #expect(try Self.json("greeting = \"hi\"\ncount = 3\nflags = [true, false]\n") == #"{"greeting": "hi", "count": 3, "flags": [true, false]}"#)
            #expect(try Self.json("") == "{}")
            #expect(try Self.json("[limits]\nper_minute = 60\n[empty]\n") == #"{"limits": {"per_minute": 60}, "empty": {}}"#)
        }

        @Test func stringsAndKeysAreEscapedForJSON() throws {
            let text = #"""
                "we\"ird\\key\u0001" = "tab\t nl\n cr\r bs\b ff\f nul\u0000 esc\u001B del\u007F quote\" slash/ é 😀 \u2028"
                """#
            let json = try Self.json(text)
            #expect(json == #"{"we\"ird\\key\u0001": "tab\t nl\n cr\r bs\b ff\f nul\u0000 esc\u001B del\u007F quote\" slash/ é 😀 "# + "\u{2028}" + #""}"#)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
            #expect(object["we\"ird\\key\u{1}"] == "tab\t nl\n cr\r bs\u{8} ff\u{C} nul\u{0} esc\u{1B} del\u{7F} quote\" slash/ é 😀 \u{2028}")
        }

        @Test func numbersStayNumbers() throws {
            let json = try Self.json("i = 9223372036854775807\nn = -9223372036854775808\nh = 0xff\nf = 0.5\nz = -0.0\nbig = 1e100\nw = 3.0\nsmall = 1e-7\n")
            #expect(json == #"{"i": 9223372036854775807, "n": -9223372036854775808, "h": 255, "f": 0.5, "z": -0.0, "big": 1e+100, "w": 3.0, "small": 1e-07}"#)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(object["i"] as? Int == .max)
            #expect(object["big"] as? Double == 1e100)
        }

        @Test func nanAndInfinityBecomeStringsBecauseJSONHasNoSuchNumbers() throws {
            let json = try Self.json("a = nan\nb = inf\nc = -inf\nd = [+nan, +inf]\n")
            #expect(json == #"{"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": ["NaN", "Infinity"]}"#)
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil)
        }

        @Test func datesAndTimesBecomeTheirText() throws {
            #expect(try Self.json("a = 1979-05-27 07:32:00z\nb = 1979-05-27\nc = 07:32:00.5\nd = 1979-05-27T07:32:00-07:00\n") ==
                #"{"a": "1979-05-27T07:32:00Z", "b": "1979-05-27", "c": "07:32:00.5", "d": "1979-05-27T07:32:00-07:00"}"#)
        }

        @Test func arraysOfTablesAndInlineTablesNest() throws {
            #expect(try Self.json("[[item]]\nname = \"a\"\n[[item]]\nname = \"b\"\ntags = { x = [1, { y = \"z\" }] }\n") ==
                #"{"item": [{"name": "a"}, {"name": "b", "tags": {"x": [1, {"y": "z"}]}}]}"#)
        }
    }
}
