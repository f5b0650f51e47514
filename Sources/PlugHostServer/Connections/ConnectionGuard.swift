import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import PlugHostConfig
import PlugHostPlugins
import Synchronization

/// Holds each connection to the `[limits]`: answers 431 for a head the decoder refused as too
/// large, 414 for a too-long target, 408 for a first head that does not arrive in time (its
/// deadline runs from the accept: see ``FirstRequestDeadline``); closes a
/// kept-alive connection that waits too long for its next head and a request whose body does not
/// arrive in time. Slow clients cost a timer, never a thread. (The connection count is kept at the
/// listening socket, by Hummingbird's MaximumAvailableConnections: see HostServer.)
///
/// It also drains the connection when the server stops accepting (a reload or a shutdown): the
/// next response says `Connection: close` and the connection closes after it, so a client never
/// sends a request into a connection the server is closing. See docs/OPERATIONS.md.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: LimitSettings
    /// The security headers, for the answers this handler gives itself.
    private let securityHeaders: HTTPFields
    private let logger: Logger
    private let events: ConnectionEvents
    /// When a request head must have arrived: the first one (`headIsFirst`), or the next one on an
    /// idle kept-alive connection. Nil while a request is in progress.
    private var headDeadline: NIODeadline?
    private var headIsFirst = false
    private var headSeconds = 0.0
    /// When the body of the request in progress must have ended.
    private var readDeadline: NIODeadline?
    private var readSeconds = 0.0
    /// One timer per connection, for the earliest deadline. A request moves the deadlines, not the
    /// timer: scheduling and cancelling two timers per request cost more than the rest of this handler.
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    /// Request heads read whose responses have not ended yet (pipelining).
    private var openRequests = 0
    private var servedOne = false
    private var closing = false
    /// The server is draining: close after the next response that says `Connection: close`.
    private var draining = false
    /// A response head with `Connection: close` has been written.
    private var toldToClose = false
    /// How long a draining connection with no request in progress may stay open for its next one.
    static let drainIdleSeconds = 2.0
    /// An HTTP/2 stream: HTTP/2 has its own flow control, stream limits and idle handling, and a
    /// stream's end is not a connection's, so only the head checks apply.
    private var isStream = false

    init(limits: LimitSettings, securityHeaders: HTTPFields, logger: Logger, events: ConnectionEvents) {
        self.limits = limits
        self.securityHeaders = securityHeaders
        self.logger = logger
        self.events = events
    }

    func handlerAdded(context: ChannelHandlerContext) {
        isStream = context.channel.isHTTP2Stream
        if isStream { return }
        armHeadTimer(context: context, seconds: limits.requestHeadTimeout, first: true,
                     deadline: FirstRequestDeadline.takeOver(on: context.pipeline))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            headDeadline = nil
            if isStream, let connection = context.channel.parent {
                FirstRequestDeadline.requestHeadArrived(on: connection.pipeline)
            }
            if let target = head.path, target.utf8.count > limits.maxURILength {
                refuse(context: context, status: .uriTooLong,
                       detail: "The request target is longer than \(limits.maxURILength) bytes ([limits] max_uri_length).")
                return
            }
            let headerBytes = head.headerFields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
            if headerBytes > limits.maxHeaderBytes || head.headerFields.count > limits.maxHeaderCount {
                refuse(context: context, status: .requestHeaderFieldsTooLarge, detail: headTooLarge)
                return
            }
            if head.headerFields[.expect]?.lowercased() == "100-continue" {
                // No route takes more than max_route_body_size: refuse at once rather than invite the body.
                if let length = head.headerFields[.contentLength].flatMap(Int.init), length > limits.maxRouteBodyBytes {
                    refuse(context: context, status: .contentTooLarge,
                           detail: "The request body is larger than this server accepts (\(limits.maxRouteBodyBytes) bytes at most).")
                    return
                }
                // Clients such as curl wait for this before sending a large body (RFC 9110 §10.1.1).
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
            if isStream { break }
            openRequests += 1
            readSeconds = limits.requestReadTimeout
            readDeadline = .now() + .nanoseconds(Int64(readSeconds * 1e9))
            scheduleTimer(context: context)
        case .body:
            break
        case .end:
            readDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !isStream else {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where draining && head.status.kind != .informational:
            head.headerFields[.connection] = "close"
            toldToClose = true
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            openRequests = max(0, openRequests - 1)
            servedOne = true
            if openRequests == 0, toldToClose, !closing {
                // The client was told this response is the last: close once it is out.
                closing = true
                cancelTimers()
                context.writeAndFlush(data).assumeIsolated().whenComplete { result in
                    promise?.completeWith(result)
                    context.close(promise: nil)
                }
                return
            }
            if openRequests == 0, !closing {
                armHeadTimer(context: context, seconds: draining ? min(limits.idleTimeout, Self.drainIdleSeconds) : limits.idleTimeout, first: false)
            }
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// The server stopped accepting. Hummingbird's own handling would close an idle connection at
    /// once and a busy one right after its response, both racing a client that is sending its next
    /// request; here the connection ends only after a response that says so, or after
    /// `drainIdleSeconds` without a request.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !isStream else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if openRequests == 0, !closing {
            armHeadTimer(context: context, seconds: min(limits.idleTimeout, Self.drainIdleSeconds), first: false)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch parserError {
        case .headerOverflow:
            refuse(context: context, status: .requestHeaderFieldsTooLarge, detail: headTooLarge)
        default:
            refuse(context: context, status: .badRequest, detail: "The request is not valid HTTP/1.1.")
        }
    }

    private var headTooLarge: String {
        "The request header fields are larger than \(limits.maxHeaderBytes) bytes or more than \(limits.maxHeaderCount) ([limits] max_header_size, max_header_count)."
    }

    /// `deadline`: when it is not `seconds` from now (the first head's runs from the accept).
    private func armHeadTimer(context: ChannelHandlerContext, seconds: Double, first: Bool, deadline: NIODeadline? = nil) {
        headDeadline = deadline ?? .now() + .nanoseconds(Int64(seconds * 1e9))
        headIsFirst = first
        headSeconds = seconds
        scheduleTimer(context: context)
    }

    /// Makes sure the timer fires no later than the earliest deadline. A timer due earlier than
    /// needed is left alone: when it fires it finds nothing due and is set again.
    private func scheduleTimer(context: ChannelHandlerContext) {
        // Without arrays: this runs on every request.
        let earliest: NIODeadline
        switch (headDeadline, readDeadline) {
        case (nil, nil): return
        case (let head?, nil): earliest = head
        case (nil, let read?): earliest = read
        case (let head?, let read?): earliest = min(head, read)
        }
        if let timerFiresAt, timer != nil, timerFiresAt <= earliest { return }
        timer?.cancel()
        timerFiresAt = earliest
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: earliest) { [weak self] in
            self?.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerFiresAt = nil
        guard !closing else { return }
        let now = NIODeadline.now()
        if let readDeadline, readDeadline <= now {
            logger.info("closing a connection from \(Self.peer(context)): its request body did not arrive within \(readSeconds) s ([limits] request_read_timeout)")
            closing = true
            cancelTimers()
            context.close(promise: nil)
            return
        }
        if let headDeadline, headDeadline <= now, openRequests == 0 {
            if headIsFirst, !servedOne {
                events.timedOutBeforeFirstRequest(address: Self.peer(context), inHandshake: false, seconds: headSeconds)
                refuse(context: context, status: .requestTimeout, detail: "No complete request head arrived within \(headSeconds) seconds.")
            } else {
                // An idle kept-alive connection: closed quietly, as clients expect.
                closing = true
                cancelTimers()
                context.close(promise: nil)
            }
            return
        }
        scheduleTimer(context: context)
    }

    private func cancelTimers() {
        headDeadline = nil
        readDeadline = nil
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
    }

    /// Answers with `status` and a JSON detail, then closes: the rest of this connection's input is not read.
    private func refuse(context: ChannelHandlerContext, status: HTTPResponse.Status, detail: String) {
        guard !closing else { return }
        closing = true
        cancelTimers()
        let body = ByteBuffer(string: ErrorBody.json(detail))
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = "\(body.readableBytes)"
        // HTTP/2 forbids connection-specific fields; closing the stream is enough there.
        if !isStream { fields[.connection] = "close" }
        fields.append(contentsOf: securityHeaders)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private static func peer(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
