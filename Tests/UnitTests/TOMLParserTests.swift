import PlugHostTOML
import Testing

/// The TOML 1.0 parser behind host.toml and keys.toml: every feature of the spec read into the
/// values it means, and every key and value with the line it was written on.
@Suite struct TOMLParserTests {
    /// The document as one inline table: a compact, exact picture of what was parsed.
    static func picture(_ text: String) throws -> String {
        TOMLText.value(TOMLValue(.table(try TOMLTable(parsing: text)), line: 1, column: 1))
    }

    static func value(_ text: String) throws -> TOMLValue? {
        try TOMLTable(parsing: "v = " + text)["v"]
    }

    @Test func emptyDocumentsCommentsAndBlankLinesGiveAnEmptyTable() throws {
        #expect(try Self.picture("") == "{}")
        #expect(try Self.picture("\n\n  \t\n# only a comment\n   # indented, with ünïcode and \t tab\n") == "{}")
        #expect(try Self.picture("a = 1 # after a value\n[t] # after a header\n") == "{ a = 1, t = {} }")
    }

    @Test func lineBreaksMayBeCRLFAndAByteOrderMarkIsSkipped() throws {
        #expect(try Self.picture("a = 1\r\nb = \"x\"\r\n[t]\r\nc = [\r\n  1,\r\n]\r\n") == "{ a = 1, b = \"x\", t = { c = [ 1 ] } }")
        #expect(try Self.picture("\u{FEFF}a = 1\n") == "{ a = 1 }")
    }

    // MARK: Keys

    @Test func keysMayBeBareQuotedOrDotted() throws {
        #expect(try Self.picture("bare_key-1 = 1\n1234 = 2\n\"quoted key\" = 3\n'literal \"key\"' = 4\n\"\" = 5\n") ==
            "{ bare_key-1 = 1, 1234 = 2, \"quoted key\" = 3, \"literal \\\"key\\\"\" = 4, \"\" = 5 }")
        #expect(try Self.picture("physical.color = \"orange\"\nphysical . shape = \"round\"\nsite.\"google.com\" = true\n") ==
            "{ physical = { color = \"orange\", shape = \"round\" }, site = { \"google.com\" = true } }")
    }

    @Test func aDotInsideQuotesIsPartOfTheKey() throws {
        let table = try TOMLTable(parsing: "\"a.b\" = 1\n'c.d'.e = 2\n")
        #expect(table.keys == ["a.b", "c.d"])
        #expect(table["a.b"]?.integer == 1)
        #expect(table["c.d"]?.table?["e"]?.integer == 2)
    }

    @Test func aNumberLikeBareKeyIsADottedKey() throws {
        #expect(try Self.picture("3.14159 = \"pi\"\n") == "{ 3 = { 14159 = \"pi\" } }")
    }

    @Test func quotedKeysTakeEscapes() throws {
        #expect(try TOMLTable(parsing: "\"\\u00e9\\n\" = 1\n").keys == ["é\n"])
    }

    // MARK: Strings

    @Test func basicStringsTakeEveryEscape() throws {
        let text = #"v = "tab\t nl\n cr\r bs\b ff\f quote\" backslash\\ e\u00E9 grin\U0001F600 nul\u0000""#
        #expect(try TOMLTable(parsing: text)["v"]?.string == "tab\t nl\n cr\r bs\u{08} ff\u{0C} quote\" backslash\\ eé grin😀 nul\u{0}")
        #expect(try Self.value("\"raw\ttab and ünïcode\"")?.string == "raw\ttab and ünïcode")
    }

    @Test func literalStringsAreAsWritten() throws {
        #expect(try Self.value(#"'C:\Users\nodejs\templates'"#)?.string == #"C:\Users\nodejs\templates"#)
        #expect(try Self.value(#"'<\i\c*\s*>'"#)?.string == #"<\i\c*\s*>"#)
    }

    @Test func multiLineBasicStringsTrimTheFirstLineBreakAndJoinLinesEndingInABackslash() throws {
        #expect(try Self.value("\"\"\"\nRoses\nViolets\"\"\"")?.string == "Roses\nViolets")
        #expect(try Self.value("\"\"\"\r\nkept\r\nCRLF\"\"\"")?.string == "kept\r\nCRLF")
        #expect(try Self.value("\"\"\"The quick \\\n\n   brown \\   \n  fox.\"\"\"")?.string == "The quick brown fox.")
        #expect(try Self.value("\"\"\"a \\\r\n  b\"\"\"")?.string == "a b")
        #expect(try Self.value("\"\"\"escapes \\\"\\t\\u0041 too\"\"\"")?.string == "escapes \"\tA too")
    }

    @Test func multiLineStringsMayHoldUpToTwoQuotesInARowEvenAtTheEnd() throws {
        #expect(try Self.value(#""""Here are two quotation marks: "". Simple enough.""""#)?.string == "Here are two quotation marks: \"\". Simple enough.")
        #expect(try Self.value(#"""""This," she said, "is just a pointless statement."""""#)?.string == "\"This,\" she said, \"is just a pointless statement.\"")
        #expect(try Self.value("'''''one'''''")?.string == "''one''")
        #expect(try Self.value("\"\"\"\"\"\"\"")?.string == "\"")
    }

    @Test func multiLineLiteralStringsKeepBackslashes() throws {
        #expect(try Self.value("'''\nThe first newline is\ntrimmed in raw strings.\n   All other \\ whitespace\n'''")?.string ==
            "The first newline is\ntrimmed in raw strings.\n   All other \\ whitespace\n")
    }

    // MARK: Numbers, booleans

    @Test(arguments: [
        ("+99", 99), ("42", 42), ("0", 0), ("-17", -17), ("-0", 0), ("+0", 0), ("1_000", 1000), ("5_349_221", 5_349_221),
        ("0xDEADBEEF", 0xDEAD_BEEF), ("0xdead_beef", 0xDEAD_BEEF), ("0o01234567", 0o1234567), ("0o755", 0o755), ("0b11010110", 0b1101_0110),
        ("0x7FFFFFFFFFFFFFFF", Int64.max), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("0x00", 0),
    ] as [(String, Int64)])
    func integers(_ text: String, _ expected: Int64) throws {
        #expect(try Self.value(text)?.integer == expected)
    }

    @Test(arguments: [
        ("+1.0", 1.0), ("3.1415", 3.1415), ("-0.01", -0.01), ("5e+22", 5e+22), ("1e06", 1e06), ("-2E-2", -2E-2), ("6.626e-34", 6.626e-34),
        ("224_617.445_991_228", 224_617.445_991_228), ("0.0", 0.0), ("1e-400", 0.0), ("inf", .infinity), ("+inf", .infinity), ("-inf", -.infinity),
    ] as [(String, Double)])
    func floats(_ text: String, _ expected: Double) throws {
        #expect(try Self.value(text)?.float == expected)
    }

    @Test func nanAndNegativeZeroAreFloats() throws {
        for text in ["nan", "+nan", "-nan"] { #expect(try Self.value(text)?.float?.isNaN == true) }
        let zero = try #require(try Self.value("-0.0")?.float)
        #expect(zero == 0 && zero.sign == .minus)
    }

    @Test func booleans() throws {
        #expect(try Self.picture("t = true\nf = false\n") == "{ t = true, f = false }")
    }

    // MARK: Dates and times

    @Test func datesAndTimesKeepTheirTextAndKind() throws {
        let cases: [(String, TOMLDateTime.Kind, String)] = [
            ("1979-05-27T07:32:00Z", .offsetDateTime, "1979-05-27T07:32:00Z"),
            ("1979-05-27T00:32:00-07:00", .offsetDateTime, "1979-05-27T00:32:00-07:00"),
            ("1979-05-27T00:32:00.999999+07:00", .offsetDateTime, "1979-05-27T00:32:00.999999+07:00"),
            ("1979-05-27 07:32:00Z", .offsetDateTime, "1979-05-27T07:32:00Z"),
            ("1979-05-27t07:32:00z", .offsetDateTime, "1979-05-27T07:32:00Z"),
            ("1979-05-27T07:32:00", .localDateTime, "1979-05-27T07:32:00"),
            ("1979-05-27 00:32:00.5", .localDateTime, "1979-05-27T00:32:00.5"),
            ("1979-05-27", .localDate, "1979-05-27"),
            ("2024-02-29", .localDate, "2024-02-29"),
            ("2000-02-29", .localDate, "2000-02-29"),
            ("07:32:00", .localTime, "07:32:00"),
            ("00:32:00.999999", .localTime, "00:32:00.999999"),
            ("23:59:60", .localTime, "23:59:60"),
        ]
        for (text, kind, normalized) in cases {
            let dateTime = try #require(try Self.value(text)?.dateTime, "\(text)")
            #expect(dateTime.kind == kind, "\(text)")
            #expect(dateTime.text == normalized, "\(text)")
        }
    }

    @Test func aDateFollowedByACommentIsADate() throws {
        #expect(try Self.value("1979-05-27 # the date")?.dateTime?.kind == .localDate)
        #expect(try Self.value("[1979-05-27 , 07:32:00]")?.array?.count == 2)
    }

    // MARK: Arrays

    @Test func arraysMayMixTypesNestSpanLinesAndEndWithAComma() throws {
        #expect(try Self.picture("a = []\nb = [ 1, 2, 3 ]\nc = [ [ 1, 2 ], [\"a\", 'b'], [ { x = 1 } ] ]\nd = [ 0.1, \"s\", true, 1979-05-27, [] ]\n") ==
            "{ a = [], b = [ 1, 2, 3 ], c = [ [ 1, 2 ], [ \"a\", \"b\" ], [ { x = 1 } ] ], d = [ 0.1, \"s\", true, 1979-05-27, [] ] }")
        #expect(try Self.picture("a = [ # first\n  1, # one\n\n  2, # two, and a trailing comma\n]\n") == "{ a = [ 1, 2 ] }")
    }

    // MARK: Tables

    @Test func inlineTablesMayNestAndUseDottedKeys() throws {
        #expect(try Self.picture("name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = {x=1,y=2}\nanimal = { type.name = \"pug\", type.size = 1 }\ne = {}\n") ==
            "{ name = { first = \"Tom\", last = \"Preston-Werner\" }, point = { x = 1, y = 2 }, animal = { type = { name = \"pug\", size = 1 } }, e = {} }")
    }

    @Test func headersMakeTheirSuperTablesWhichMayBeDefinedLater() throws {
        #expect(try Self.picture("[x.y.z.w]\na = 1\n[x]\nb = 2\n") == "{ x = { y = { z = { w = { a = 1 } } }, b = 2 } }")
        #expect(try Self.picture("[ j . \"ʞ\" . 'l' ]\nk = 1\n") == "{ j = { \"ʞ\" = { l = { k = 1 } } } }")
    }

    @Test func aTableDefinedByDottedKeysMayGetSubTablesFromHeaders() throws {
        #expect(try Self.picture("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n") ==
            "{ fruit = { apple = { color = \"red\", taste = { sweet = true }, texture = { smooth = true } } } }")
    }

    @Test func dottedKeysMayAddToATableAHeaderOnlyImplied() throws {
        #expect(try Self.picture("[a.b.c]\nz = 1\n[a]\nb.d = 2\n") == "{ a = { b = { c = { z = 1 }, d = 2 } } }")
    }

    @Test func arraysOfTablesCollectTheirElementsAndSubTables() throws {
        let text = """
            [[fruits]]
            name = "apple"
            [fruits.physical]
            color = "red"
            [[fruits.varieties]]
            name = "red delicious"
            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"
            [[fruits.varieties]]
            name = "plantain"
            """
        #expect(try Self.picture(text) == "{ fruits = [ { name = \"apple\", physical = { color = \"red\" }, varieties = [ { name = \"red delicious\" }, { name = \"granny smith\" } ] }, { name = \"banana\", varieties = [ { name = \"plantain\" } ] } ] }")
        #expect(try Self.picture("[[a]]\n[[a]]\nx = 1\n") == "{ a = [ {}, { x = 1 } ] }")
    }

    // MARK: Order, lookup, removal

    @Test func tablesKeepDocumentOrderAndRemoveKeepsTheRest() throws {
        var table = try TOMLTable(parsing: "zeta = 1\nalpha = 2\n[mid]\n[beta]\n")
        #expect(table.keys == ["zeta", "alpha", "mid", "beta"])
        #expect(table.remove("alpha")?.integer == 2)
        #expect(table.remove("alpha") == nil)
        #expect(table.keys == ["zeta", "mid", "beta"])
        #expect(table["beta"]?.table?.isEmpty == true)
        #expect(table.entry("beta")?.line == 4)
        #expect(table.count == 3)
    }

    // MARK: Where things were written

    @Test func everyKeyAndValueKnowsItsLine() throws {
        let text = """
            # comment
            a = 1
            s = \"\"\"
            two
            lines\"\"\"
            after = "x"
            arr = [
              10,
              { k = 1 },
            ]

            [server]
            port = 8080
            [[key]]
            name = "first"
            [[key]]
            name = "second"
            dotted.deep.key = true
            """
        let table = try TOMLTable(parsing: text)
        #expect(table.entry("a")?.line == 2)
        #expect(table.entry("s")?.line == 3)
        #expect(table.entry("after")?.line == 6)
        #expect(table["arr"]?.line == 7)
        #expect(table["arr"]?.array?.map(\.line) == [8, 9])
        #expect(table["arr"]?.array?.last?.table?.entry("k")?.line == 9)
        #expect(table.entry("server")?.line == 12)
        #expect(table["server"]?.table?.entry("port")?.line == 13)
        let keys = try #require(table["key"]?.array)
        #expect(keys.map(\.line) == [14, 16])
        #expect(keys[1].table?.entry("name")?.line == 17)
        #expect(keys[1].table?["dotted"]?.table?["deep"]?.table?.entry("key")?.line == 18)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let table = try TOMLTable(parsing: "\"ünï\" = 1\n  b =   2\n")
        #expect(table["ünï"]?.column == 9)
        #expect(table.entry("b")?.column == 3)
        #expect(table["b"]?.column == 9)
    }
}
