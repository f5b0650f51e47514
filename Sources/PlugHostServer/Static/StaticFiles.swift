import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import Logging

/// Serves the static directory at `/` for every path outside `/api`: `index.html` for
/// directories, `ETag`/`Last-Modified` with 304 on conditional requests, HEAD and byte ranges
/// (Hummingbird's file middleware; the bytes sent a chunk at a time: ``StreamedFileSystem``), behind a path check that never leaves the directory. Small
/// files answered to a plain `GET` are kept in memory (``StaticFileCache``). A step of
/// ``HostMiddleware``, for paths outside `/api`.
struct StaticFiles: Sendable {
    typealias Context = HostRequestContext

    let safety: StaticPathSafety
    let files: FileMiddleware<HostRequestContext, StreamedFileSystem>
    let cacheControl: String
    let cache = StaticFileCache()

    init(directory: URL, cacheControl: String, logger: Logger) {
        safety = StaticPathSafety(root: directory)
        files = FileMiddleware(fileProvider: StreamedFileSystem(rootFolder: safety.root, logger: logger), searchForIndexHtml: true)
        self.cacheControl = cacheControl
    }

    /// The cache's answer to a plain `GET` (``StaticFileCache/isCacheable(_:)``), if it holds the
    /// file, with the body's bytes (the response's body is a stream to write, not bytes to read).
    func cachedAnswer(_ request: Request, context: Context) -> (response: Response, body: ByteBuffer)? {
        StaticFileCache.isCacheable(request) ? cachedFile(request, context: context) : nil
    }

    /// The cache's answer for the request's path, for a request known to be cacheable.
    private func cachedFile(_ request: Request, context: Context) -> (response: Response, body: ByteBuffer)? {
        // Stored with its Cache-Control (``serve``): nothing to set per answer.
        guard let cached = cache.response(for: request.uri.path, resolve: { safety.isServable($0) ? safety.servedFile($0) : nil }) else { return nil }
        context.logFields.route = "static"
        return cached
    }

    /// The file at the request's path, or what `next` (the router) answers when there is none.
    /// `@concurrent` as Hummingbird's file middleware, which it calls with `next`, declares it.
    @concurrent func serve(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let cacheable = StaticFileCache.isCacheable(request)
        if cacheable, let cached = cachedFile(request, context: context) { return cached.response }
        guard safety.isServable(path) else { throw HTTPError(.notFound) }
        context.logFields.route = "static"
        var response = try await files.handle(request, context: context, next: next)
        if !cacheControl.isEmpty, response.status == .ok || response.status == .notModified || response.status == .partialContent {
            response.headers[.cacheControl] = cacheControl
        }
        if cacheable, response.status == .ok, let file = safety.servedFile(path) {
            cache.store(path: path, file: file, headers: response.headers)
        }
        return response
    }
}
