/// `[docs]`: the aggregated OpenAPI document and the pages that show it.
public struct DocsSettings: Sendable {
    /// False removes `/api/openapi.json`, `/api/docs` and `/api/redoc`.
    public var enabled = true
    /// The document's `info`.
    public var title = "PlugHost API"
    public var version = "1.0.0"
    public var description = "Every endpoint of this PlugHost instance: the host's own and those of its plugins."
    /// Where the pages load their assets from. Like FastAPI, a CDN by default; a path such as
    /// `/docs-assets/swagger-ui-bundle.js` serves them from `static/` so the docs work offline.
    public var swaggerJSURL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
    public var swaggerCSSURL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
    public var redocJSURL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
}
