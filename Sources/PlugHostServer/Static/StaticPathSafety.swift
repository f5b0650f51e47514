import FoundationEssentials
import Glibc
import PlugHostConfig

/// Decides whether a request path may be served from the static directory.
///
/// Refused (answered 404, as if absent): undecodable percent-encoding, NUL bytes, backslashes,
/// empty segments (`//x` would otherwise be redirected to `//x/`, which browsers read as another
/// host), hidden names (`.env`, `.git/`, and `.`/`..`, after decoding so `%2e%2e` and `..%2f` are
/// caught), and any path whose real location — after following symlinks — is outside the directory.
struct StaticPathSafety: Sendable {
    /// The static directory with symlinks resolved.
    let root: String

    init(root: URL) {
        self.root = Self.realPath(root.path) ?? root.standardizedFileURL.path
    }

    func isServable(_ rawPath: String) -> Bool {
        guard let decoded = rawPath.percentDecoded, !decoded.contains("\0"), !decoded.contains("\\") else { return false }
        guard decoded.hasPrefix("/"), !decoded.contains("//") else { return false }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0.hasPrefix(".") }) else { return false }
        let candidate = root + "/" + segments.joined(separator: "/")
        // A path that does not exist is safe to look up: it will simply not be found.
        guard let real = Self.realPath(candidate) else { return true }
        guard real == root || real.hasPrefix(root + "/") else { return false }
        if Self.isDirectory(real),
           let index = Self.realPath(real + "/index.html") {
            return index.hasPrefix(root + "/")
        }
        return true
    }

    /// The real path of the file a servable `rawPath` is answered with (its `index.html` for a
    /// directory), or nil when there is none.
    func servedFile(_ rawPath: String) -> String? {
        guard let decoded = rawPath.percentDecoded else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard let real = Self.realPath(root + "/" + segments.joined(separator: "/")),
              real == root || real.hasPrefix(root + "/") else { return nil }
        guard let isDirectory = Self.kind(of: real) else { return nil }
        guard isDirectory else { return real }
        return Self.realPath(real + "/index.html").flatMap { $0.hasPrefix(root + "/") ? $0 : nil }
    }

    /// Whether `path` is a directory; nil when nothing is there.
    private static func kind(of path: String) -> Bool? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT == S_IFDIR
    }

    private static func isDirectory(_ path: String) -> Bool { kind(of: path) == true }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
