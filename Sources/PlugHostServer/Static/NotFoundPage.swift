import FoundationEssentials
import Glibc
import PlugHostKeys
import Synchronization

/// The page answered for a path outside `/api` that does not exist: `404.html` from the static
/// directory (or `index.html` in SPA mode), re-read only when the file changes.
final class NotFoundPage: Sendable {
    let file: URL
    /// In single-page-app mode the page is index.html, answered with 200.
    let isSPAFallback: Bool
    private let cache = Mutex<(stamp: FileStamp?, body: Data?)>((nil, nil))

    init(directory: URL, spa: Bool) {
        isSPAFallback = spa
        file = directory.appending(path: spa ? "index.html" : "404.html")
    }

    /// The page's bytes, or nil when it does not exist.
    func body() -> Data? {
        let stamp = FileStamp(of: file)
        guard let stamp else { return nil }
        if let cached = cache.withLock({ $0.stamp == stamp ? $0.body : nil }) { return cached }
        let data = try? Data(contentsOf: file)
        cache.withLock { $0 = (stamp, data) }
        return data
    }
}
