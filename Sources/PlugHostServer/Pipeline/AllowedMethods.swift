import PlugHostPlugins

/// Which methods are served at a path, so a request with another method gets 405 and an
/// `Allow` header instead of a 404 that would claim the path does not exist (RFC 9110 §15.5.6).
struct AllowedMethods: Sendable {
    private let routes: [(segments: [PathTemplate.Segment], method: String)]

    /// `routes`: every API route as served, e.g. `("GET", "/api/hello/{name}")`.
    init(_ routes: [(method: String, servedPath: String)]) {
        self.routes = routes.compactMap { route in
            (try? PathTemplate(route.servedPath)).map { ($0.segments, route.method) }
        }
    }

    /// The methods served at `path`, sorted; empty when nothing is served there.
    func methods(at path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var methods: Set<String> = []
        for route in routes where route.segments.count == parts.count {
            let matches = zip(route.segments, parts).allSatisfy { segment, part in
                switch segment {
                case .literal(let text): text == part
                case .parameter: !part.isEmpty
                }
            }
            if matches { methods.insert(route.method) }
        }
        return methods.sorted()
    }
}
