import FoundationEssentials

/// Where a docs page loads a script or stylesheet from: an absolute http(s) URL, or a path on
/// this server. The page's Content-Security-Policy allows exactly these sources.
package struct DocsAssetURL: Sendable {
    package let url: String
    /// The CSP source expression: `'self'` for a local path, else the URL's origin.
    package let source: String

    package init?(_ text: String) {
        if text.hasPrefix("/"), !text.hasPrefix("//") {
            url = text
            source = "'self'"
            return
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty else { return nil }
        url = text
        source = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
