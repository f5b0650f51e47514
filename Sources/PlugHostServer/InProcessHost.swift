package import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import NIOPosix

/// A host that answers requests handed to it in this process, without sockets: the test kit
/// (`PlugHostTesting`) and `plughost plugins test`. Everything from the connection's responder
/// inwards is the listening host's own (``HostServer/makeResponder(blockingPool:grace:)``): the
/// request log, security headers, CORS, errors, the gate (rate limit, key, scope), the plugin
/// middlewares, the plugin call with its pool and timeout, and the docs routes. What it leaves
/// out is the connection itself: TLS, HTTP/2, and the connection guard's limits and timeouts.
package final class InProcessHost: Sendable {
    package let server: HostServer
    private let pool: NIOThreadPool
    private let grace: ShutdownGrace
    private let responder: HTTPChannelHandler.Responder
    private let loop = NIOAsyncTestingEventLoop()

    /// A response as the client would have read it.
    package struct CollectedResponse: Sendable {
        package let head: HTTPResponse
        package let body: [UInt8]

        package var status: Int { head.status.code }
        package var headers: [(name: String, value: String)] { head.headerFields.map { ($0.name.rawName, $0.value) } }
        package var contentType: String? { head.headerFields[.contentType] }
    }

    package init(server: HostServer) {
        self.server = server
        pool = NIOThreadPool(numberOfThreads: server.config.server.blockingThreads)
        pool.start()
        grace = ShutdownGrace(seconds: server.config.server.shutdownGrace, logger: server.logger)
        responder = server.makeResponder(blockingPool: pool, grace: grace)
    }

    /// A request the host cannot be sent: a method or header name that is not HTTP, a client
    /// that is not an IP address.
    package struct InvalidRequest: Error, CustomStringConvertible {
        package let description: String
    }

    /// Sends `method path` with `headers` and `body` from `client` (an IP address, which the gate
    /// and the request log see) and returns it once the whole response has been written.
    package func send(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8],
                      client: String = "127.0.0.1") async throws -> CollectedResponse {
        guard let httpMethod = HTTPRequest.Method(method) else { throw InvalidRequest(description: "'\(method)' is not an HTTP method") }
        guard path.hasPrefix("/") else { throw InvalidRequest(description: "the path '\(path)' does not start with '/'") }
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { throw InvalidRequest(description: "'\(name)' is not a header name") }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        if !body.isEmpty, fields[.contentLength] == nil { fields[.contentLength] = String(body.count) }
        guard let address = try? SocketAddress(ipAddress: client, port: 40000) else {
            throw InvalidRequest(description: "the client '\(client)' is not an IP address")
        }
        let head = HTTPRequest(method: httpMethod, scheme: "http", authority: "localhost", path: path, headerFields: fields)
        return try await send(head, body: body, client: address)
    }

    /// Sends one request from `client` and returns it once the whole response has been written.
    private func send(_ head: HTTPRequest, body: [UInt8], client: SocketAddress?) async throws -> CollectedResponse {
        let channel = NIOAsyncTestingChannel(loop: loop)
        channel.remoteAddress = client
        // The request log's response line, as ResponseDelivery would take it on a connection.
        let mailbox = ResponseLineMailbox()
        ResponseLineMailboxes.register(mailbox, for: channel)
        defer { ResponseLineMailboxes.unregister(channel) }
        let (writer, sink) = NIOAsyncChannelOutboundWriter<HTTPResponsePart>.makeTestingWriter()
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
        try await responder(request, ResponseWriter(outbound: writer), channel)
        writer.finish()
        var responseHead: HTTPResponse?
        var responseBody: [UInt8] = []
        for await part in sink {
            switch part {
            case .head(let head) where head.status.kind != .informational: responseHead = head
            case .head: break
            case .body(let buffer): responseBody += buffer.readableBytesView
            case .end: break
            }
        }
        guard let responseHead else { throw NoResponse() }
        mailbox.take()?.write(.delivered(status: responseHead.status.code))
        return CollectedResponse(head: responseHead, body: responseBody)
    }

    private struct NoResponse: Error, CustomStringConvertible {
        var description: String { "the host wrote no response head" }
    }

    /// Ends as a listening host does after its last connection: calls still running get the
    /// grace, then each plugin's shutdown hook runs.
    package func shutDown() async {
        let stillRunning = await server.stopPool(pool, grace: grace)
        server.shutDownPlugins(except: stillRunning)
        await loop.shutdownGracefully()
    }
}
