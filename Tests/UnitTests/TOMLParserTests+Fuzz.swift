import Foundation
import PlugHostTOML
import Testing

extension TOMLParserTests {
    /// Mutations and truncations of realistic documents (a host.toml with every kind of value, the
    /// shipped host.toml), from a fixed seed: each gives a table (which renders to TOML that reads
    /// back the same, and to valid JSON) or an error that points into the text. FuzzTests runs
    /// ConfigLoader on random seeds for a while; this is the same every run.
    @Suite struct Fuzz {
        static let hostToml = """
            # PlugHost configuration.
            [server]
            host = "127.0.0.1"   # local only
            port = 8443
            handler_timeout = 2.5
            supervise = true

            [limits]
            max_body_size = 1_048_576
            max_header_size = 0x8000

            [plugins]
            dir = 'plugins'
            [plugins.example]
            greeting = "Grüß dich \\u00e9 \\"quoted\\""
            rate = ["10/second", "1000/hour"]
            nested = { a = 1, b.c = [1, 2.5, -inf, nan], when = 1979-05-27T07:32:00Z }
            notes = \"\"\"
            line one \\
              continued
            line two\"\"\"
            raw = '''C:\\path\\'''

            [rate_limit.routes]
            "GET /api/hello/{name}" = "5/minute"

            [[key]]
            name = "ci"
            created = 2026-11-25T19:00:00Z
            scopes = ["admin", "read"]
            [[key]]
            name = "other"
            expires = 2027-02-23 19:00:00+01:00
            """

        static let tokens = [
            "[", "[[", "]", "]]", "=", "\"", "'", "\"\"\"", "'''", "\\", "\\u", "\\uD800", "\\U0010FFFF", "\u{0}", "{", "}", ",", ".", "#", "\n", "\r", "\r\n",
            "\t", " ", "é", "😀", "\u{FFFD}", "\u{FEFF}", "9223372036854775808", "-", "+", "_", "0x", "0b", "0o", "1e400", "nan", "inf", "-0",
            "1979-05-27", "T", ":", "07:32:00", "Z", "true", "a.b", "\"a.b\"", "[a]\n", "[[a]]\n", "a = 1\n", "= {", "[[]]", "{ x = [ { y = 1 } ] }",
        ]

        @Test func mutatedDocumentsGiveATableOrAnErrorInsideTheText() throws {
            var random = Mutator(seed: 0x746F_6D6C)
            let seeds = [Self.hostToml, FuzzTests.shippedHostToml].map { Array($0.unicodeScalars) }
            var parsed = 0
            for _ in 0..<4000 {
                var scalars = seeds[random.next(seeds.count)]
                for _ in 0...random.next(4) { Self.mutate(&scalars, &random) }
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars)
                do {
                    let table = try TOMLTable(parsing: text)
                    parsed += 1
                    try Self.expectRendersFaithfully(table, from: text)
                } catch let error as TOMLError {
                    let lines = text.utf8.count { $0 == UInt8(ascii: "\n") } + 1
                    #expect((1...lines).contains(error.line) && error.column >= 1 && !error.message.isEmpty, "\(text.debugDescription): \(error)")
                }
            }
            // The mutations are small: a fair share of the documents stays valid.
            #expect(parsed > 200)
        }

        /// The table written back as TOML reads as the same table, and its JSON is valid.
        static func expectRendersFaithfully(_ table: TOMLTable, from text: String) throws {
            let rendered = TOMLText.value(TOMLValue(.table(table), line: 1, column: 1))
            let again = try TOMLTable(parsing: "v = " + rendered)["v"]
            #expect(again.map { TOMLText.value($0) } == rendered, "\(text.debugDescription)")
            #expect((try? JSONSerialization.jsonObject(with: Data(table.jsonText.utf8))) != nil, "\(table.jsonText)")
        }

        static func mutate(_ scalars: inout [Unicode.Scalar], _ random: inout Mutator) {
            let at = random.next(scalars.count + 1)
            switch random.next(6) {
            case 0:
                scalars.removeSubrange(at...)
            case 1:
                scalars.removeSubrange(at..<min(scalars.count, at + 1 + random.next(8)))
            case 2, 3:
                scalars.insert(contentsOf: tokens[random.next(tokens.count)].unicodeScalars, at: at)
            case 4:
                let start = random.next(scalars.count + 1)
                let chunk = scalars[start..<min(scalars.count, start + 1 + random.next(64))]
                scalars.insert(contentsOf: chunk, at: at)
            default:
                guard at < scalars.count else { return }
                scalars[at] = Unicode.Scalar(UInt8(random.next(128)))
            }
        }
    }
}
