import HTTPTypes
@testable import PlugHostServer
import Testing

/// The cached static files' finished header lists: made once a second per file, and again as
/// soon as the file's own fields change within that second.
@Suite struct FinishedStaticFieldsTests {
    @Test func aListIsMadeAgainForANewSecondOrNewFileFields() {
        let cache = FinishedStaticFields()
        var made = 0
        func finish(_ base: HTTPFields) -> HTTPFields {
            made += 1
            var fields = base
            fields[.date] = "second \(made)"
            return fields
        }
        let v1: HTTPFields = [.eTag: "\"1\""], v2: HTTPFields = [.eTag: "\"2\""]
        #expect(cache.fields(for: "/a", base: v1, second: 10, finish: finish)[.date] == "second 1")
        #expect(cache.fields(for: "/a", base: v1, second: 10, finish: finish)[.date] == "second 1", "shared within the second")
        #expect(made == 1)
        #expect(cache.fields(for: "/a", base: v2, second: 10, finish: finish)[.eTag] == "\"2\"", "a changed file, the same second")
        #expect(cache.fields(for: "/a", base: v2, second: 11, finish: finish)[.date] == "second 3", "the next second")
        #expect(cache.fields(for: "/b", base: v2, second: 11, finish: finish)[.date] == "second 4", "each file its own")
        #expect(made == 4)
    }
}
