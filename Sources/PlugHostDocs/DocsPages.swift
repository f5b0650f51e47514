import Crypto
import Foundation
package import PlugHostConfig

/// The Swagger UI and ReDoc pages, made once at start, each with a Content-Security-Policy that
/// allows exactly what it loads: its assets' origins, its one inline script (by hash), inline
/// styles (both UIs inject `<style>` elements), data: images, and requests to this server.
package struct DocsPages: Sendable {
    package static let documentPath = BuiltinRoutes.path(.openAPIDocument)

    package let swaggerHTML: [UInt8]
    package let redocHTML: [UInt8]
    package let swaggerPolicy: String
    package let redocPolicy: String

    package init(_ settings: DocsSettings) {
        // The loader checked these URLs; the defaults are valid.
        let swaggerJS = DocsAssetURL(settings.swaggerJSURL)!
        let swaggerCSS = DocsAssetURL(settings.swaggerCSSURL)!
        let redocJS = DocsAssetURL(settings.redocJSURL)!
        let title = Self.html(settings.title)

        let setup = """
        window.ui = SwaggerUIBundle({
          url: \(Self.javaScriptString(Self.documentPath)),
          dom_id: "#swagger-ui",
          layout: "BaseLayout",
          deepLinking: true,
          persistAuthorization: true,
          displayRequestDuration: true,
          validatorUrl: null,
          presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
        });
        """
        swaggerHTML = Self.page(title: "\(title) · Swagger UI", head: #"<link rel="stylesheet" href="\#(Self.html(swaggerCSS.url))">"#, body: """
          <div id="swagger-ui"></div>
          <script src="\(Self.html(swaggerJS.url))"></script>
          <script>\(setup)</script>
        """)
        swaggerPolicy = Self.policy([
            "script-src \(swaggerJS.source) '\(Self.sha256(setup))'",
            "style-src \(swaggerCSS.source) 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
        ])

        redocHTML = Self.page(title: "\(title) · ReDoc", head: nil, body: """
          <redoc spec-url="\(Self.html(Self.documentPath))"></redoc>
          <script src="\(Self.html(redocJS.url))"></script>
        """)
        redocPolicy = Self.policy([
            "script-src \(redocJS.source)",
            "style-src 'unsafe-inline'",
            // ReDoc's "API docs by Redocly" badge is an image it always loads from its CDN.
            "img-src 'self' data: https://cdn.redoc.ly",
            "font-src 'self' data:",
            "connect-src 'self'",
            // ReDoc runs its search index in a worker made from a blob: URL.
            "worker-src blob:",
        ])
    }

    /// An HTML5 page; `title` is already escaped, `head` and `body` are markup.
    private static func page(title: String, head: String?, body: String) -> [UInt8] {
        Array("""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>\(title)</title>\(head.map { "\n  \($0)" } ?? "")
        </head>
        <body>
        \(body)
        </body>
        </html>

        """.utf8)
    }

    private static func policy(_ directives: [String]) -> String {
        (["default-src 'none'"] + directives + ["frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]).joined(separator: "; ")
    }

    private static func sha256(_ script: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
    }

    static func html(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A JSON string literal that cannot end the `<script>` element it sits in.
    private static func javaScriptString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
    }
}
