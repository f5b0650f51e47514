import Foundation
@testable import PlugHostConfig
@testable import PlugHostKeys
import Testing

/// keys.toml: the format `plughost keys` writes (documented in KeyFile.swift) reads back, dates
/// are instants in every form RFC 3339 allows, and a problem names its key and line.
@Suite struct KeyFileTests {
    static let digest = String(repeating: "ab", count: 32)
    static let created = Date(timeIntervalSince1970: 1_795_633_200)

    static func keys(_ text: String) throws(ConfigError) -> [StoredKey] {
        try KeyFile.parse(text, file: "keys.toml")
    }

    static func error(_ text: String) -> ConfigError? {
        do {
            _ = try keys(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func theDocumentedFormatReadsBack() throws {
        let keys = try Self.keys("""
            [[key]]
            name = "ci"
            prefix = "ph_Ab3dE9xQ"
            sha256 = "\(Self.digest)"
            created = 2026-11-25T19:00:00Z
            expires = 2027-02-23T19:00:00Z
            scopes = ["admin"]
            """)
        #expect(keys == [StoredKey(name: "ci", prefix: "ph_Ab3dE9xQ", sha256: Array(repeating: 0xAB, count: 32), created: Self.created,
                                   expires: Date(timeIntervalSince1970: 1_803_409_200), scopes: ["admin"])])
    }

    @Test func offsetsFractionsSpacesAndQuotedDatesAreInstants() throws {
        for (written, expected) in [("2026-11-25T20:30:00+01:30", Self.created), ("2026-11-25 19:00:00z", Self.created),
                                    ("2026-11-25T19:00:00.25Z", Self.created.addingTimeInterval(0.25)), ("\"2026-11-25T19:00:00Z\"", Self.created)] {
            let keys = try Self.keys("[[key]]\nname = \"a\"\nsha256 = \"\(Self.digest)\"\ncreated = \(written)\n")
            #expect(keys.first?.created == expected, "\(written)")
        }
    }

    @Test func aDateWithoutItsZoneIsRefusedOnItsLine() {
        for written in ["2026-11-25T19:00:00", "2026-11-25", "19:00:00", "\"tomorrow\"", "1"] {
            let error = Self.error("[[key]]\nname = \"a\"\nsha256 = \"\(Self.digest)\"\n\nexpires = \(written)\n")
            #expect(error?.line == 5, "\(written)")
            #expect(error?.key == "key[0].expires", "\(written)")
        }
    }

    @Test func aProblemWithoutAKeyOfItsOwnIsOnItsEntrysHeader() {
        let error = Self.error("[[key]]\nname = \"a\"\nsha256 = \"\(Self.digest)\"\n\n[[key]]\nsha256 = \"\(Self.digest)\"\n")
        #expect(error?.line == 5)
        #expect(error?.key == "key[1].name")
    }

    @Test func scopesWithQuotesBackslashesAndLineBreaksRoundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "keys-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: url) }
        let key = StoredKey(name: "n", prefix: "", sha256: Array(repeating: 1, count: 32), created: Self.created, expires: nil,
                            scopes: ["say \"hi\"", "back\\slash", "two\nlines", "tab\tand\u{0}nul", "ünï"])
        try KeyFile(url: url).write([key])
        #expect(try KeyFile(url: url).read() == [key])
    }

    @Test func anUnreadableFileSaysWhyInTheSystemsWords() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "keys-\(UUID().uuidString).toml")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try KeyFile(url: directory).read()
        } throws: { error in
            (error as? ConfigError)?.message == "cannot be read: Is a directory"
        }
    }
}
