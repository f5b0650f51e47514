import Crypto
import Foundation
@testable import PlugHostConfig
@testable import PlugHostDocs
@testable import PlugHostDocsBuilder
@testable import PlugHostServer
import Testing

@Suite struct DocsUnitTests {
    @Test func componentNamesAndLocalReferencesGetThePluginsNamespace() throws {
        let namespace = ComponentNamespace(plugin: "shop")
        let components = try namespace.components([
            "schemas": [
                "Item": ["type": "object", "properties": ["tag": ["$ref": "#/components/schemas/Tag"]]],
                "Tag": ["type": "string"],
            ],
            "securitySchemes": ["mine": ["type": "http", "scheme": "basic"]],
        ])
        let schemas = try #require(components["schemas"] as? [String: Any])
        #expect(Set(schemas.keys) == ["shop.Item", "shop.Tag"])
        let item = try #require(schemas["shop.Item"] as? [String: Any])
        let tag = try #require((item["properties"] as? [String: Any])?["tag"] as? [String: Any])
        #expect(tag["$ref"] as? String == "#/components/schemas/shop.Tag")
        // Authentication is the host's to document.
        #expect(components["securitySchemes"] == nil)
    }

    @Test func referencesOutsideTheComponentsAreLeftAlone() {
        let namespace = ComponentNamespace(plugin: "shop")
        let rewritten = namespace.rewritingReferences(in: ["allOf": [["$ref": "https://example.com/x.json"], ["$ref": "#/components/responses/Gone"]]])
        let all = (rewritten as? [String: Any])?["allOf"] as? [[String: Any]]
        #expect(all?[0]["$ref"] as? String == "https://example.com/x.json")
        #expect(all?[1]["$ref"] as? String == "#/components/responses/shop.Gone")
    }

    @Test func aComponentNameOpenAPIForbidsIsNamed() {
        #expect(throws: DocsProblem.self) { try ComponentNamespace(plugin: "p").components(["schemas": ["a b": [:]]]) }
        #expect(throws: DocsProblem.self) { try ComponentNamespace(plugin: "p").components(["widgets": [:]]) }
    }

    @Test func operationIDsAreStablePerRoute() {
        #expect(APIDocumentBuilder.operationID(prefix: "example", method: "GET", path: "/api/hello/{name}") == "example.get_api_hello_name")
    }

    @Test func allowedMethodsMatchTemplatesSegmentBySegment() {
        let allowed = AllowedMethods([("GET", "/api/items/{id}"), ("DELETE", "/api/items/{id}"), ("GET", "/api/items")])
        #expect(allowed.methods(at: "/api/items/7") == ["DELETE", "GET"])
        #expect(allowed.methods(at: "/api/items") == ["GET"])
        #expect(allowed.methods(at: "/api/items/7/x").isEmpty)
        #expect(allowed.methods(at: "/api/items/").isEmpty)
    }

    @Test func assetURLsGiveTheirCSPSource() {
        #expect(DocsAssetURL("https://cdn.jsdelivr.net/npm/x.js")?.source == "https://cdn.jsdelivr.net")
        #expect(DocsAssetURL("http://assets.local:8080/x.js")?.source == "http://assets.local:8080")
        #expect(DocsAssetURL("/docs-assets/x.js")?.source == "'self'")
        #expect(DocsAssetURL("//evil.example/x.js") == nil)
        #expect(DocsAssetURL("javascript:alert(1)") == nil)
    }

    @Test func swaggerPolicyAllowsItsInlineScriptByHashOnly() throws {
        let pages = DocsPages(DocsSettings())
        let html = String(decoding: pages.swaggerHTML, as: UTF8.self)
        let script = try #require(html.split(separator: "<script>").last?.split(separator: "</script>").first.map(String.init))
        let hash = "sha256-" + Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
        #expect(pages.swaggerPolicy.contains("script-src https://cdn.jsdelivr.net '\(hash)'"))
        #expect(!pages.swaggerPolicy.contains("unsafe-eval") && !pages.swaggerPolicy.contains("script-src 'unsafe-inline'"))
    }

    @Test func badDocsURLIsAConfigErrorNamingKeyAndLine() {
        do {
            _ = try ConfigLoader.parse("[docs]\ntitle = \"x\"\nredoc_js_url = \"ftp://example.com/redoc.js\"\n", file: "host.toml", baseDirectory: URL(filePath: "/srv"))
            Issue.record("accepted an ftp URL")
        } catch {
            #expect(error.line == 3)
            #expect("\(error)".contains("redoc_js_url"))
        }
    }
}

/// Inputs that made toml++ (TOMLKit's parser, before PlugHostTOML replaced it) abort the process,
/// kept as proof that they are plain syntax errors now, on the right line. (The suite keeps the
/// name of the pre-check that guarded toml++ from them; docs/FUZZING.md tells the story.)
@Suite struct TOMLPrecheckTests {
    /// The line of the syntax error in `text`, read as host.toml and keys.toml are.
    static func errorLine(_ text: String) -> Int? {
        do {
            _ = try ConfigTableReader.document(text, file: "host.toml")
            return nil
        } catch {
            return error.message.hasPrefix("not valid TOML") ? error.line : -1
        }
    }

    @Test func nonASCIIOutsideStringsIsRefusedWithItsLine() {
        let text = "[\u{B3}lugins.example]\ngreeting = \"hi\"\n"
        #expect(Self.errorLine(text) == 1)
        // As did a table header starting with anything but a key.
        #expect(Self.errorLine("[server]\nport = 1\n[%00x.y]\n") == 3)
        #expect(Self.errorLine("a = { = 1 }\n") == 1)
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(text, file: "host.toml", baseDirectory: .init(filePath: "/")) }
    }

    @Test func nonASCIIInStringsAndCommentsIsFine() {
        let text = "# Grüße\n[plugins.example]\ngreeting = \"Grüß dich\" # ja\n\"schlüssel\" = 'wört'\nlong = \"\"\"\nüber\n\"\"\"\n"
        #expect(Self.errorLine(text) == nil)
        #expect(Self.errorLine("a = [\n  [1, 2],\n  { x = 1, y = [3] },\n]\n[[b]]\nc = {}\n[ \"q k\".z ]\n") == nil)
        #expect(Self.errorLine("a = [ # why\n  1, # one\n  2,\n]\n") == nil)
    }

    @Test func theOldPrechecksGapIsClosed() {
        // After a line-ending backslash in a multi-line string the pre-check counted one line too few.
        #expect(Self.errorLine("a = \"\"\"\none \\\n  two\n\"\"\"\nb = = 1\n") == 5)
    }
}
