import Hummingbird
import Logging
import NIOCore
import NIOPosix
import _NIOFileSystem

/// Hummingbird's `LocalFileSystem` for the file middleware, except how a file's bytes are sent:
/// one ``chunkBytes`` chunk read from disk at a time, the next only once the connection has
/// taken the previous one.
///
/// Hummingbird reads with `readChunks`, which reads ahead of the writer into a buffer of several
/// 128 KiB chunks, and its response writer waits for the channel to be writable only as the
/// writer last heard of it: each write is a hop to the event loop, and a task that reads from disk
/// faster than a busy event loop writes queues chunk after chunk before it learns that the stream
/// is not writable. A client that does not read (an HTTP/2 stream whose window stays shut) made
/// each stream of a large file hold more than a megabyte, and the rest of the file was still read
/// (and thrown away) after the stream was reset. Here, after each chunk, the writer asks the
/// channel's event loop whether the channel is still open: the answer comes after the chunk's
/// write, so the writer's next write waits if that one left the channel unwritable. A stalled
/// stream holds one chunk on its way and one in hand, until `[limits] send_timeout` resets it
/// (``HTTP2StreamWatch``), and reading stops when the channel closes.
struct StreamedFileSystem: FileProvider {
    typealias FileAttributes = LocalFileSystem.FileAttributes
    typealias FileIdentifier = LocalFileSystem.FileIdentifier

    static let chunkBytes = 16 * 1024

    private let files: LocalFileSystem
    private let fileSystem: FileSystem

    init(rootFolder: String, threadPool: NIOThreadPool = .singleton, logger: Logger) {
        files = LocalFileSystem(rootFolder: rootFolder, threadPool: threadPool, logger: logger)
        fileSystem = FileSystem(threadPool: threadPool)
    }

    func getFileIdentifier(_ path: String) -> FileIdentifier? { files.getFileIdentifier(path) }

    func getAttributes(id: FileIdentifier) async throws -> FileAttributes? { try await files.getAttributes(id: id) }

    func loadFile(id: FileIdentifier, context: some RequestContext) async throws -> ResponseBody {
        guard let attributes = try await files.getAttributes(id: id), !attributes.isFolder else { throw HTTPError(.notFound) }
        guard attributes.size > 0 else { return ResponseBody() }
        return body(path: id, range: 0...(attributes.size - 1), channel: (context as? HostRequestContext)?.channel)
    }

    func loadFile(id: FileIdentifier, range: ClosedRange<Int>, context: some RequestContext) async throws -> ResponseBody {
        guard let attributes = try await files.getAttributes(id: id), !attributes.isFolder else { throw HTTPError(.notFound) }
        guard attributes.size > 0 else { return ResponseBody() }
        return body(path: id, range: range.clamped(to: 0...(attributes.size - 1)), channel: (context as? HostRequestContext)?.channel)
    }

    private func body(path: String, range: ClosedRange<Int>, channel: (any Channel)?) -> ResponseBody {
        let fileSystem = fileSystem
        return ResponseBody(contentLength: range.count) { writer in
            try await fileSystem.withFileHandle(forReadingAt: FilePath(path)) { file in
                var offset = Int64(range.lowerBound)
                let end = Int64(range.upperBound) + 1
                while offset < end {
                    let length = Int(min(Int64(Self.chunkBytes), end - offset))
                    let chunk = try await file.readChunk(fromAbsoluteOffset: offset, length: .bytes(Int64(length)))
                    // A file that shrank while it was sent: stop rather than spin on empty reads.
                    guard chunk.readableBytes > 0 else { throw HTTPError(.internalServerError) }
                    offset += Int64(chunk.readableBytes)
                    try await writer.write(chunk)
                    if let channel, offset < end {
                        guard try await channel.isActiveAfterPendingReads() else { throw ChannelError.ioOnClosedChannel }
                    }
                }
            }
            try await writer.finish(nil)
        }
    }
}
