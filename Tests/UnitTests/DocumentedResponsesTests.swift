import PlugHostDocs
import Testing

/// The check of answers against their routes' OpenAPI descriptions (test kit, plugins test),
/// on documents written by hand: the hostile ones included.
@Suite struct DocumentedResponsesTests {
    private static let document = Array("""
        {"openapi": "3.1.1", "paths": {
          "/api/tree/{id}": {"get": {"responses": {
            "200": {"description": "a tree", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
            "4XX": {"$ref": "#/components/responses/Problem"}}}},
          "/api/tree/root": {"get": {"responses": {"default": {"description": "anything"}}}},
          "/api/loop": {"get": {"responses": {"200": {"description": "x", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop"}}}}}}},
          "/api/choice": {"get": {"responses": {"200": {"description": "x", "content": {"application/json": {"schema":
            {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}], "nullable": true}}}}}}}
        },
        "components": {
          "schemas": {
            "Node": {"type": "object", "required": ["name"], "additionalProperties": false,
                     "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
            "Loop": {"$ref": "#/components/schemas/Loop"}
          },
          "responses": {"Problem": {"description": "a problem", "content": {"application/problem+json": {"schema": {"type": "object", "required": ["detail"]}}}}}
        }}
        """.utf8)

    private func problem(_ path: String, _ status: Int, _ body: String, method: String = "GET", type: String? = "application/json") -> String? {
        DocumentedResponses(document: Self.document)!.problem(method: method, path: path, status: status, contentType: type, body: Array(body.utf8))
    }

    @Test func recursiveSchemaIsFollowedAndTheDeepFieldNamed() {
        #expect(problem("/api/tree/1", 200, #"{"name": "a", "children": [{"name": "b", "children": []}]}"#) == nil)
        #expect(problem("/api/tree/1", 200, #"{"name": "a", "children": [{"name": "b", "children": [{"name": 5}]}]}"#)
            == "GET /api/tree/{id} answered 200 with a body that does not match its documented schema: $.children[0].children[0].name: expected string, got integer 5")
        #expect(problem("/api/tree/1", 200, #"{"name": "a", "odd key": 1}"#)?.hasSuffix(#"$["odd key"]: not a documented property, and additionalProperties is false"#) == true)
    }

    @Test func aReferenceLoopEndsWithAMessageNotACrash() {
        #expect(problem("/api/loop", 200, "{}")?.hasSuffix("$: the schema refers to itself without end") == true)
    }

    @Test func statusClassesAndDefaultCountAsDocumented() {
        #expect(problem("/api/tree/1", 404, #"{"detail": "no"}"#, type: "application/problem+json") == nil)
        #expect(problem("/api/tree/1", 404, #"{"title": "no"}"#, type: "application/problem+json")?.hasSuffix("$.detail: required property is missing") == true)
        #expect(problem("/api/tree/1", 500, "{}")?.hasPrefix(#"GET /api/tree/{id} answered 500, a status its OpenAPI description does not document: responses has no "500", "5XX" or "default""#) == true)
        // The literal path wins over the template, as in the router; `default` takes any status.
        #expect(problem("/api/tree/root", 599, "whatever", type: "text/plain") == nil)
    }

    @Test func mediaTypeAndBodyMustMatchTheDocumentedContent() {
        #expect(problem("/api/tree/1", 200, "<html>", type: "text/html")?.contains("Content-Type text/html, which its OpenAPI description does not list") == true)
        #expect(problem("/api/tree/1", 200, "{not json", type: "application/json; charset=utf-8")?.hasSuffix("but the body is not JSON") == true)
        // HEAD is answered by the GET route and has no body to check.
        #expect(problem("/api/tree/1", 200, "", method: "HEAD") == nil)
    }

    @Test func oneOfAndNullable() {
        #expect(problem("/api/choice", 200, "7") == nil)
        #expect(problem("/api/choice", 200, #""abc""#) == nil)
        #expect(problem("/api/choice", 200, "null") == nil)
        #expect(problem("/api/choice", 200, #""abcd""#)?.contains("matches none of oneOf") == true)
        #expect(problem("/api/choice", 200, "true")?.contains("matches none of oneOf") == true, "a boolean is not an integer")
    }

    @Test func unknownPathsAndMethodsAreNotChecked() {
        #expect(problem("/api/nothing", 500, "x") == nil)
        #expect(problem("/api/tree/1", 405, "x", method: "DELETE") == nil)
        #expect(DocumentedResponses(document: Array("[1, 2]".utf8)) == nil)
    }
}
