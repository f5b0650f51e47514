import Foundation
import PlugHostTOML
import Testing

extension TOMLParserTests {
    /// Whatever the text, the parser answers with a table or an error, within bounded time and stack.
    @Suite struct Hostile {
        @Test func nestingUpToTheBoundIsReadAndBeyondItIsAnError() throws {
            func arrays(_ depth: Int) -> String { "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n" }
            func inlineTables(_ depth: Int) -> String { "a = " + String(repeating: "{ b = ", count: depth) + "1" + String(repeating: " }", count: depth) + "\n" }
            // Each part of a dotted key or header below the root is a table: 128 tables, then a value.
            func dotted(_ tables: Int) -> String { String(repeating: "a.", count: tables) + "x = 1\n" }
            func header(_ tables: Int) -> String { "[" + Array(repeating: "a", count: tables).joined(separator: ".") + "]\nx = 1\n" }
            let bound = TOMLTable.defaultMaxDepth
            for (name, make) in [("arrays", arrays), ("inline tables", inlineTables), ("dotted keys", dotted), ("headers", header)] as [(String, (Int) -> String)] {
                #expect(throws: Never.self, "\(name)") { try TOMLTable(parsing: make(bound)) }
                let error = Rejections.failure(make(bound + 1))
                #expect(error?.message == "tables and arrays are nested more than 128 levels deep", "\(name)")
                #expect(error?.line == 1 || error?.line == 2, "\(name)")
            }
            // Levels add up: a header 100 tables deep leaves 28 for the values under it.
            let deepHeader = "[" + Array(repeating: "h", count: 100).joined(separator: ".") + "]\n"
            #expect(throws: Never.self) { try TOMLTable(parsing: deepHeader + "x = " + String(repeating: "[", count: 27) + String(repeating: "]", count: 27)) }
            #expect(Rejections.failure(deepHeader + "x = " + String(repeating: "[", count: 29) + String(repeating: "]", count: 29))?.line == 2)
        }

        @Test func aMillionOpeningBracketsIsAnErrorNotACrash() {
            #expect(Rejections.failure("a = " + String(repeating: "[", count: 1_000_000))?.column == 5 + 128)
            #expect(Rejections.failure("a = " + String(repeating: "{ b = ", count: 200_000))?.line == 1)
            #expect(Rejections.failure(String(repeating: "a.", count: 500_000) + "b = 1")?.line == 1)
            #expect(Rejections.failure("[" + String(repeating: "[", count: 100_000))?.line == 1)
        }

        /// The depth bound keeps the stack bounded: the deepest document fits a quarter of the
        /// default 8 MiB thread stack even in a debug build, which needs about 1 MiB for it
        /// (a release build under 128 KiB).
        @Test func theDeepestDocumentIsReadAndRenderedOnASmallStack() throws {
            let deepHeader = "[" + Array(repeating: "h", count: 32).joined(separator: ".") + "]\n"
            let text = deepHeader + "a = " + String(repeating: "{ b = [ ", count: 48) + "1" + String(repeating: " ] }", count: 48) + "\n"
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var rendered = ""
            let thread = Thread {
                if let table = try? TOMLTable(parsing: text) { rendered = table.jsonText + TOMLText.value(TOMLValue(.table(table), line: 1, column: 1)) }
                done.signal()
            }
            thread.stackSize = 2 << 20
            thread.start()
            done.wait()
            #expect(rendered.hasPrefix("{\"h\": {\"h\": {"))
            #expect(rendered.contains("[{\"b\": [1]}]"))
        }

        @Test func longLinesAndManyKeysStayLinear() throws {
            let wide = "a = [" + Array(repeating: "1", count: 200_000).joined(separator: ",") + "]\n"
            #expect(try TOMLTable(parsing: wide)["a"]?.array?.last?.column == 5 + 2 * 199_999 + 1)
            let many = (0..<50_000).map { "k\($0) = \($0)\n" }.joined()
            #expect(try TOMLTable(parsing: many).count == 50_000)
        }

        @Test func hostileInputsEachGetAnAnswer() {
            let inputs = [
                "\u{0}", "a = \"\u{0}\"", "a = \"\\u0000\"", "\"\u{0}\" = 1", "a = \"\\uD83D\\uDE00\"", "a = '\u{FEFF}'", "\u{FEFF}\u{FEFF}a = 1",
                "a = 1\r", "\r\n\r\n", "a = \"\"\"\r\"\"\"", "a = 1e400", "a = -1e400", "a = 1e-400", "a = 9223372036854775808", "a = -9223372036854775808",
                "a = -0", "a = -0.0", "a = +nan", "a.\"b.c\".d = 1\n\"a\".b.\"c.d\" = 2", "\"a.b\" = 1\na.b = 2", "a.b = 1\n[a]", "[a]\nb = 1\n[a]\nb = 2",
                "[[a]]\n[a.b]\n[[a]]\n[a.b]", "a = [[[]]]\n[[a]]", "\"\"\"", "'''", "[\"", "['", "a = {", "a = [", "a = {b = [", "[a.\"", "a = \"\\",
                "a = \"\\u", "a = \"\\U0010FFFF\"", "a = \"\\U00110000\"", "a = 0x", "a = 1979-05-27T", "a = 1979-05-27 ", "a = 9999-12-31T23:59:60.999999999999Z",
                String(repeating: "#", count: 100_000), String(repeating: "\n", count: 100_000) + "=", String(repeating: "\"", count: 10_000),
            ]
            for input in inputs {
                do {
                    let table = try TOMLTable(parsing: input)
                    _ = table.jsonText
                } catch {
                    #expect(error.line >= 1 && error.column >= 1 && !error.message.isEmpty, "\(input.debugDescription)")
                }
            }
            #expect(Rejections.failure("a = \"\\uD83D\\uDE00\"")?.column == 6, "a surrogate pair written as two escapes is two lone surrogates")
        }
    }
}
