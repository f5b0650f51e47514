import Foundation
@testable import PlugHostSDK
import Testing

@Suite struct JSONTextTests {
    /// The hand-written encoder must write exactly what JSONEncoder writes, or answers would
    /// change bytes (and ETags) depending on which path made them.
    @Test func objectsOfStringsAreEncodedExactlyAsJSONEncoderDoes() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var samples: [[String: String]] = [[:], ["key": ""], ["b": "2", "a": "1", "A": "0", "é": "ü"]]
        samples.append(["all": String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)])
        samples.append(["unicode": "日本語 \u{2028}\u{2029} 🙂 \u{7F} / \\ \" </script>"])
        samples.append(Dictionary(uniqueKeysWithValues: (0..<32).map { ("k\(String(format: "%02d", $0))", String(UnicodeScalar(UInt8($0)))) }))
        for sample in samples {
            #expect(JSONText.object(sample) == Array(try encoder.encode(sample)), "\(sample)")
        }
    }
}
