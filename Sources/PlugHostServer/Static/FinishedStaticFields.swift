import Glibc
import HTTPTypes
import Synchronization

/// The whole header list of each cached static file's answer — the file's own fields, the
/// layers' (the security headers, CORS's removals) and the `Date` — made once a second per file
/// and then shared by every answer of that second. A dozen fields appended, replaced and released
/// on every answer cost most of a cached file's time beside the socket (docs/PERFORMANCE.md).
/// Only for answers the layers treat alike: ``HostMiddleware`` asks for it when CORS adds
/// nothing to the request's answer.
final class FinishedStaticFields: Sendable {
    private struct Entry {
        let second: Int
        /// The file's own fields the list was made from: a changed file has new ones.
        let base: HTTPFields
        let fields: HTTPFields
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// A bound, not an eviction policy, as the file cache's own.
    private static let maxEntries = StaticFileCache.maxEntries

    /// The finished list for `path` whose file answers with `base`, made by `finish` when there
    /// is none yet for this `second` or the file's fields changed.
    func fields(for path: String, base: HTTPFields, second: Int = time(nil), finish: (HTTPFields) -> HTTPFields) -> HTTPFields {
        if let entry = entries.withLock({ $0[path] }), entry.second == second, entry.base == base {
            return entry.fields
        }
        let entry = Entry(second: second, base: base, fields: finish(base))
        entries.withLock { entries in
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[path] = entry
        }
        return entry.fields
    }
}
