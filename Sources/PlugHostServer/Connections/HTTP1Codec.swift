import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import PlugHostRateLimit

/// HTTP/1.1 between NIO's request decoder and the connection's handlers, in place of
/// NIOHTTPTypes' `HTTP1ToHTTPServerCodec` with NIO's `HTTPResponseEncoder` below it
/// (``HostHTTP1Channel``). Requests are converted as that codec converts them. Responses are
/// written as bytes straight from their `HTTPFields`, without NIO's `HTTPHeaders` between (the
/// chain's twelve response fields were converted twice), and a response's head, its small body
/// parts and its end leave as one buffer, one write, unless a flush comes between them: the
/// fast path's answers, and most of the request loop's.
///
/// An HTTP/1.0 request without keep-alive gets `Connection: close`, which the guard and the
/// request loop act on (Hummingbird's HTTP types drop the version); the answer to a request that
/// closes the connection says `Connection: close`.
///
/// Framing is NIO's encoder's: no body and no `Content-Length` or `Transfer-Encoding` for 1xx,
/// 204, 304 and an answer to `CONNECT`; the body of an answer to `HEAD` is not sent (its write
/// fails, as NIO's does); a response without `Content-Length` is sent chunked, with its trailers.
/// Which request a response answers is known by order (HTTP/1.1 answers in order), from the
/// request heads read here.
final class HTTP1Codec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = IOData

    /// Body parts up to this size join their head in one buffer; a larger one is written as it is.
    static let coalescedBodyBytes = 16 * 1024
    /// What a response head's buffer is given first: the host's own fields take about 600 bytes,
    /// and a small body joins them (``append(_:context:promise:)``) without the buffer growing,
    /// and being copied, on the way. (Not sized by the `Content-Length`: reading one field of an
    /// `HTTPFields` by name joins its values through an unspecialized generic, which cost more.)
    static let headRoom = 2048

    private let secure: Bool
    /// The requests read and not answered yet, oldest first: their method, and whether the
    /// connection closes after their answer (the request said so, or its version does).
    private var pendingRequests = CircularBuffer<(method: HTTPMethod, closes: Bool)>(initialCapacity: 4)
    /// How the response being written is framed.
    private var framing = Framing.contentLength
    private enum Framing {
        case contentLength
        case chunked
        /// An answer to `HEAD`, or one with no body by its status or as an answer to `CONNECT`.
        case none
    }
    /// What the response being written has put together so far and not yet handed on, and the
    /// promise of those writes.
    private var pending: ByteBuffer?
    private var pendingPromise: EventLoopPromise<Void>?
    /// Set by ``EventLoopFastPath`` just before it writes a head whose rate-limit fields, or
    /// security headers and `Date`, are to be written as bytes (``RateLimitFields``,
    /// ``HostFieldBytes``); taken by that head, whatever it is.
    var limitFieldsForNextHead: RateLimitFields?
    var hostFieldsForNextHead: HostFieldBytes?

    init(secure: Bool) {
        self.secure = secure
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // Read once: it scans the request's fields.
            let closes = !head.isKeepAlive
            pendingRequests.append((head.method, closes))
            do {
                var request = try convert(head)
                // HTTP types carry no version: a request that by its version does not keep the
                // connection (HTTP/1.0 without keep-alive, RFC 9112 §9.3) says so with the field
                // the layers above act on, and the connection closes after its answer.
                if closes, !head.headers.contains(name: "connection") {
                    request.headerFields[.connection] = "close"
                }
                context.fireChannelRead(wrapInboundOut(.head(request)))
            } catch {
                context.fireErrorCaught(error)
            }
        case .body(let body):
            context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers):
            context.fireChannelRead(wrapInboundOut(.end(trailers.map { HTTPFields($0, splitCookie: false) })))
        }
    }

    /// NIOHTTPTypes' conversion, made cheaper for the usual target, a path (`/api/hello?x=1`):
    /// that conversion parses every target as a URL, to find the path of an absolute one
    /// (`http://host/path`), which it still does here. The list has room for the fields the
    /// request hooks add.
    private func convert(_ head: HTTPRequestHead) throws -> HTTPRequest {
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return try HTTPRequest(head, secure: secure, splitCookie: false)
        }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count + 4)
        // The first Host is the request's authority, not a field.
        var authority: String?
        for (name, value) in head.headers {
            // Compared byte by byte: `lowercased()` made a new string for every request's Host.
            if authority == nil, name.utf8.count == 4, name.utf8.elementsEqual("host".utf8, by: { $0 | 0x20 == $1 }) {
                authority = value
                continue
            }
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HTTPRequest(method: try HTTPRequest.Method(head.method), scheme: secure ? "https" : "http", authority: authority,
                           path: head.uri, headerFields: fields)
    }

    // MARK: Responses

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            writeHead(response, context: context, promise: promise)
        case .body(let body):
            writeBody(body, context: context, promise: promise)
        case .end(let trailers):
            writeEnd(trailers, context: context, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        handOnPending(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Handed on unflushed, as NIO's encoder would have left them: the close settles their promise.
        handOnPending(context: context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pending = nil
        pendingPromise?.fail(ChannelError.ioOnClosedChannel)
        pendingPromise = nil
    }

    private func writeHead(_ response: HTTPResponse, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let (limitFields, hostFields) = (limitFieldsForNextHead, hostFieldsForNextHead)
        (limitFieldsForNextHead, hostFieldsForNextHead) = (nil, nil)
        let code = response.status.code
        var fields = response.headerFields
        if (100..<200).contains(code), code != 101 {
            // An interim answer (100 Continue): the final one follows, for the same request.
            Self.removeFraming(from: &fields)
            var buffer = context.channel.allocator.buffer(capacity: 64)
            Self.encode(response.status, fields, into: &buffer)
            handOnPending(context: context)
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            return
        }
        let request = pendingRequests.popFirst()
        let method = request?.method
        // The client is told the connection closes after this answer (RFC 9112 §9.6).
        if request?.closes == true, !fields.contains(.connection) { fields[.connection] = "close" }
        if method == .CONNECT || code == 204 || code == 304 || code == 101 {
            Self.removeFraming(from: &fields)
            framing = .none
        } else if fields.contains(.contentLength) {
            if fields.contains(.transferEncoding) { fields[.transferEncoding] = nil }
            framing = method == .HEAD ? .none : .contentLength
        } else {
            fields[Self.chunkedName] = "chunked"
            framing = method == .HEAD ? .none : .chunked
        }
        handOnPending(context: context)
        var buffer = context.channel.allocator.buffer(capacity: Self.headRoom)
        Self.encode(response.status, fields, limitFields: limitFields, hostFields: hostFields, into: &buffer)
        pending = buffer
        pendingPromise = promise
    }

    private func writeBody(_ body: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch framing {
        case .none:
            promise?.fail(NIOHTTPResponseEncoderError.responseBodyNotAllowed)
        case .contentLength:
            append(body, context: context, promise: promise)
        case .chunked:
            // An empty chunk would end the body: it is not sent.
            guard body.readableBytes > 0 else {
                return append(body, context: context, promise: promise)
            }
            var header = context.channel.allocator.buffer(capacity: 12)
            header.writeString(String(body.readableBytes, radix: 16))
            header.writeStaticString("\r\n")
            append(header, context: context, promise: nil)
            append(body, context: context, promise: promise)
            append(ByteBuffer(staticString: "\r\n"), context: context, promise: nil)
        }
    }

    private func writeEnd(_ trailers: HTTPFields?, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if framing == .chunked {
            var last = context.channel.allocator.buffer(capacity: 8)
            last.writeStaticString("0\r\n")
            if let trailers {
                for field in trailers { Self.encode(field, into: &last) }
            }
            last.writeStaticString("\r\n")
            append(last, context: context, promise: promise)
        } else if let promise {
            join(promise)
        }
        framing = .contentLength
        if pending != nil {
            handOnPending(context: context)
        } else if let pendingPromise {
            // Nothing left to write, but a promise: it completes once what was written before has.
            self.pendingPromise = nil
            context.write(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: pendingPromise)
        }
    }

    /// Adds `bytes` to the response's pending buffer when small, else hands both on in order.
    private func append(_ bytes: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if var buffer = pending, buffer.readableBytes + bytes.readableBytes <= Self.coalescedBodyBytes + 512 {
            pending = nil
            var bytes = bytes
            buffer.writeBuffer(&bytes)
            pending = buffer
            if let promise { join(promise) }
            return
        }
        handOnPending(context: context)
        context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
    }

    /// `promise` completes with the pending write.
    private func join(_ promise: EventLoopPromise<Void>) {
        if let pendingPromise {
            pendingPromise.futureResult.cascade(to: promise)
        } else {
            pendingPromise = promise
        }
    }

    private func handOnPending(context: ChannelHandlerContext) {
        guard let buffer = pending else { return }
        pending = nil
        let promise = pendingPromise
        pendingPromise = nil
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
    }

    /// Neither `Content-Length` nor `Transfer-Encoding`, for an answer that has no body. Removed
    /// only when present: a write would copy every field of the answer.
    private static func removeFraming(from fields: inout HTTPFields) {
        if fields.contains(.contentLength) { fields[.contentLength] = nil }
        if fields.contains(.transferEncoding) { fields[.transferEncoding] = nil }
    }

    // MARK: Encoding

    /// Spelled as NIO's encoder spells it when it adds it.
    private static let chunkedName = HTTPField.Name("transfer-encoding")!

    /// The status line and the fields, each value's bytes as they are: `HTTPField` has already
    /// made them legal (no CR, LF or NUL), and `HTTPResponse.Status` its reason phrase.
    /// `limitFields`, then `hostFields`: written after the answer's own fields, which lose any of
    /// the same names (the order and the bytes the same fields in `fields` would have).
    static func encode(_ status: HTTPResponse.Status, _ fields: HTTPFields, limitFields: RateLimitFields? = nil, hostFields: HostFieldBytes? = nil,
                       into buffer: inout ByteBuffer) {
        if status.code == 200 {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            // NIO's phrase: the standard one for a code it knows, else the status's own.
            let status = HTTPResponseStatus(statusCode: status.code, reasonPhrase: status.reasonPhrase)
            buffer.writeStaticString("HTTP/1.1 ")
            buffer.writeString(String(status.code))
            buffer.writeStaticString(" ")
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        if limitFields != nil || hostFields != nil {
            for field in fields where !(limitFields?.replaces(field.name) ?? false) && !(hostFields?.replaces(field.name) ?? false) {
                encode(field, into: &buffer)
            }
            limitFields?.write(into: &buffer)
            hostFields?.write(into: &buffer)
        } else {
            for field in fields { encode(field, into: &buffer) }
        }
        buffer.writeStaticString("\r\n")
    }

    /// One field, `name: value` and CRLF, copied in one step: four writes each would check the
    /// buffer's uniqueness and room four times (a third of this codec's time per answer).
    static func encode(_ field: HTTPField, into buffer: inout ByteBuffer) {
        var name = field.name.rawName
        _ = name.withUTF8 { name in
            field.withUnsafeBytesOfValue { value in
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: name.count + value.count + 4) { target in
                    var cursor = target.baseAddress!
                    cursor.copyMemory(from: name.baseAddress!, byteCount: name.count)
                    cursor += name.count
                    cursor.storeBytes(of: (UInt8(ascii: ":"), UInt8(ascii: " ")), as: (UInt8, UInt8).self)
                    cursor += 2
                    if let bytes = value.baseAddress { cursor.copyMemory(from: bytes, byteCount: value.count) }
                    cursor += value.count
                    cursor.storeBytes(of: (UInt8(ascii: "\r"), UInt8(ascii: "\n")), as: (UInt8, UInt8).self)
                    return name.count + value.count + 4
                }
            }
        }
    }
}
