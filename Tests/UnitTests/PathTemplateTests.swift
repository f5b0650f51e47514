@testable import PlugHostPlugins
import Testing

@Suite struct PathTemplateTests {
    @Test(arguments: ["/", "/hello", "/items/{id}", "/a/{x}/b/{y_2}", "/v1.2/files~x"])
    func acceptsValidTemplates(_ text: String) throws {
        #expect(try PathTemplate(text).description == text)
    }

    @Test(arguments: [
        ("hello", "must start with '/'"),
        ("/a//b", "has an empty segment"),
        ("/a/", "has an empty segment"),
        ("/items/{id", "must be a whole '{name}'"),
        ("/items/{}", "must be a whole '{name}'"),
        ("/items/{1d}", "parameter '1d' must be letters"),
        ("/x/{id}/y/{id}", "parameter 'id' appears twice"),
        ("/files/*", "may contain only"),
        ("/a%20b", "may contain only"),
        ("/:id", "may contain only"),
        ("/a/../b", "a '..' segment"),
        ("/./b", "a '.' segment"),
    ])
    func refusesInvalidTemplatesSayingWhy(_ text: String, _ reason: String) {
        #expect {
            try PathTemplate(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func templatesDifferingOnlyInParameterNamesHaveTheSameShape() throws {
        #expect(try PathTemplate("/items/{id}").shape == PathTemplate("/items/{name}").shape)
        #expect(try PathTemplate("/items/{id}").shape != PathTemplate("/items/all").shape)
    }

    @Test func parameterNamesInOrder() throws {
        #expect(try PathTemplate("/a/{x}/b/{y}").parameterNames == ["x", "y"])
    }
}
