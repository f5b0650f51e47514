import Crypto
import FoundationEssentials
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

        // The fallback message stays unless the viewer's script loaded and removes it.
        let setup = """
        if (window.SwaggerUIBundle) {
          document.getElementById("docs-fallback").remove();
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
        }
        """
        let swaggerFallback = Self.fallback(viewer: "Swagger UI", assets: [
            ("swagger_js_url", swaggerJS.url, "/docs-assets/swagger-ui-bundle.js"),
            ("swagger_css_url", swaggerCSS.url, "/docs-assets/swagger-ui.css"),
        ])
        swaggerHTML = Self.page(title: "\(title) · Swagger UI", head: #"<link rel="stylesheet" href="\#(Self.html(swaggerCSS.url))">"#, body: """
        \(swaggerFallback)
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

        let redocLoaded = #"if (window.Redoc) { document.getElementById("docs-fallback").remove(); }"#
        let redocFallback = Self.fallback(viewer: "ReDoc", assets: [("redoc_js_url", redocJS.url, "/docs-assets/redoc.standalone.js")])
        redocHTML = Self.page(title: "\(title) · ReDoc", head: nil, body: """
        \(redocFallback)
          <redoc spec-url="\(Self.html(Self.documentPath))"></redoc>
          <script src="\(Self.html(redocJS.url))"></script>
          <script>\(redocLoaded)</script>
        """)
        redocPolicy = Self.policy([
            "script-src \(redocJS.source) '\(Self.sha256(redocLoaded))'",
            "style-src 'unsafe-inline'",
            // ReDoc's "API docs by Redocly" badge is an image it always loads from its CDN. With
            // the assets served from here, the page must not reach out at all: the policy blocks
            // the badge, and ReDoc then leaves it out (it drops the image when it fails).
            redocJS.source == "'self'" ? "img-src 'self' data:" : "img-src 'self' data: https://cdn.redoc.ly",
            "font-src 'self' data:",
            "connect-src 'self'",
            // ReDoc runs its search index in a worker made from a blob: URL.
            "worker-src blob:",
        ])
    }

    /// What the page shows until the viewer's script has loaded and removes it: without it, a
    /// page whose CDN cannot be reached (no network, a proxy) is blank. It says which assets
    /// failed and which `[docs]` keys serve them from this server instead. `assets`: each
    /// key, its URL now, and the path the example suggests.
    private static func fallback(viewer: String, assets: [(key: String, url: String, local: String)]) -> String {
        let urls = assets.map { "<code>\(html($0.url))</code>" }.joined(separator: " and ")
        let keys = assets.map { "\($0.key) = \"\(html($0.local))\"" }.joined(separator: "\n")
        let files = assets.map { html(String($0.local.split(separator: "/").last ?? "")) }.joined(separator: " and ")
        return """
          <div id="docs-fallback" style="font: 16px/1.5 system-ui, sans-serif; max-width: 46em; margin: 3em auto; padding: 0 1em">
            <h1 style="font-size: 1.4em">The API documentation viewer (\(viewer)) did not load</h1>
            <p>This page loads \(viewer) from \(urls), and this browser could not load it: the machine may have no Internet access, or a proxy or firewall may block it.</p>
            <p>To serve \(viewer) from this server instead, put \(files) in <code>static/docs-assets/</code> and set in host.toml:</p>
            <pre style="background: #f4f4f4; padding: 0.8em">[docs]
        \(keys)</pre>
            <p>The OpenAPI document itself is at <a href="\(html(documentPath))">\(html(documentPath))</a>.</p>
          </div>
        """
    }

    /// An HTML5 page; `title` is already escaped, `head` and `body` are markup. The empty
    /// `data:` icon keeps browsers from asking for `/favicon.ico`, which this server does not have.
    private static func page(title: String, head: String?, body: String) -> [UInt8] {
        Array("""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>\(title)</title>
          <link rel="icon" href="data:,">\(head.map { "\n  \($0)" } ?? "")
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
        return String(decoding: data, as: UTF8.self).replacing("</", with: "<\\/")
    }
}
