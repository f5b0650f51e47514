import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Small static files (at most ``maxFileBytes``) kept in memory with the headers the file
/// middleware gave them, so that a plain `GET` of an unchanged file costs neither the path checks'
/// `realpath` calls nor a `stat`, `open` and `read` on the file system's thread pool. At most once
/// a second (``revalidateAfter``) an entry's path is resolved again and its file stamped: a path
/// that now leads elsewhere (a symlink turned), or a changed, replaced or removed file, drops the
/// entry, and the request goes through the path checks and the file middleware again, so the
/// traversal and symlink rules are those of every other request.
/// Conditional, ranged and `HEAD` requests always take the full path.
final class StaticFileCache: Sendable {
    static let maxFileBytes = 64 * 1024
    static let maxEntries = 1024
    static let revalidateAfter: Duration = .seconds(1)

    private struct Entry: Sendable {
        let file: String
        let stamp: FileStamp
        let headers: HTTPFields
        let body: ByteBuffer
        var checkedAt: ContinuousClock.Instant
    }

    /// What identifies one version of a file: a rewrite, a rename over it or a new symlink target changes it.
    struct FileStamp: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int64
        let modifiedNanoseconds: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = info.st_mtim.tv_nsec
        }
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock = ContinuousClock()

    /// Whether `request` may be answered from the cache at all.
    static func isCacheable(_ request: Request) -> Bool {
        request.method == .get && request.headers[.range] == nil && request.headers[.ifNoneMatch] == nil
            && request.headers[.ifModifiedSince] == nil && request.headers[.ifRange] == nil
    }

    /// The cached answer for `path`, if it still leads to the same, unchanged file (checked at
    /// most once a second; `resolve` gives the file a path leads to now).
    func response(for path: String, resolve: (String) -> String?) -> (response: Response, body: ByteBuffer)? {
        let now = clock.now
        guard var entry = entries.withLock({ $0[path] }) else { return nil }
        if now - entry.checkedAt >= Self.revalidateAfter {
            guard resolve(path) == entry.file, FileStamp(path: entry.file) == entry.stamp else {
                entries.withLock { _ = $0.removeValue(forKey: path) }
                return nil
            }
            entry.checkedAt = now
            let checked = entry
            entries.withLock { $0[path] = checked }
        }
        return (Response(status: .ok, headers: entry.headers, body: .init(byteBuffer: entry.body)), entry.body)
    }

    /// Keeps the file the file middleware just answered `path` with, if it is small and did not
    /// change while it was read (stamped before and after).
    func store(path: String, file: String, headers: HTTPFields) {
        guard let before = FileStamp(path: file), before.size <= Self.maxFileBytes,
              let bytes = FileManager.default.contents(atPath: file), FileStamp(path: file) == before,
              bytes.count == Int(before.size) else { return }
        let entry = Entry(file: file, stamp: before, headers: headers, body: ByteBuffer(bytes: bytes), checkedAt: clock.now)
        entries.withLock { entries in
            // A bound, not an eviction policy: a site with more small files than this refills.
            if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[path] = entry
        }
    }
}
