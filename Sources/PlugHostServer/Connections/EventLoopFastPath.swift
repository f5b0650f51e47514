import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import PlugHostRateLimit

/// Answers the common requests on the connection's event loop as they arrive, without a task:
/// a task and Hummingbird's request loop around a request cost more than the host's own layers
/// (docs/PERFORMANCE.md). Two kinds:
///
/// - a plain `GET` of a small static file that ``StaticFileCache`` holds, answered as its head
///   arrives (``HostMiddleware/cachedStaticAnswer(_:context:)``), on an HTTP/2 stream once the
///   read that may carry the stream's reset is done;
/// - a request without a body to a plugin route without parameters (``PluginRouteTable``),
///   answered once its end shows it has no body. It runs through the same pipeline as every
///   route (``RouteRun``: the gate, the hooks, the route, the response hooks) and the same layers
///   (``HostMiddleware/begin(_:context:)``, ``HostMiddleware/finish(_:_:context:_:)``). While
///   every plugin answers inline it never leaves the event loop; at the first step that has to
///   wait (a plugin answering later, a blocking handler, a Redis rate-limit store) the rest runs
///   in a task, and what the connection sends meanwhile waits here, unread, so that answers keep
///   the order of the requests.
///
/// Answers get their `Date`, leave their response line for ``ResponseDelivery`` as
/// ``ConnectionResponder`` does, and go out through the same handlers (``ResponseDelivery``,
/// ``ConnectionGuard``). Everything else — a body, `HEAD`, `OPTIONS`, `Connection`, a path with
/// parameters, a built-in route, a cache miss — is passed on to Hummingbird's request loop
/// untouched; and only while no earlier request of the connection is still being answered there.
/// On an HTTP/1.1 connection and on an HTTP/2 stream (which carries one request).
final class EventLoopFastPath: ChannelDuplexHandler, RemovableChannelHandler, FlushOwing {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let layers: HostMiddleware
    private let routes: PluginRouteTable
    private let grace: ShutdownGrace?
    private let events: ConnectionEvents
    private let logger: Logger
    /// An HTTP/2 stream rather than an HTTP/1.1 connection.
    private var isStream = false
    /// The connection's codec (none on an HTTP/2 stream): the answers written here have it
    /// write their rate-limit fields, security headers and `Date` as bytes (``RateLimitFields``,
    /// ``HostFieldBytes``).
    private var codec: HTTP1Codec?
    /// The connection's flush, owed to the event loop's ``EndOfTickFlush`` (none on an HTTP/2
    /// stream, whose connection batches in ``BatchedFlush``): answers written on an HTTP/1.1 connection leave at the end of the loop's batch
    /// of reads. Whatever could close the connection meanwhile — the client closing its side,
    /// an error, a close from the layers above — comes through this handler, which flushes first.
    private var owedFlush: OwedFlush?
    /// Requests passed on to the request loop whose response has not ended yet.
    private var passedOn = 0
    /// The rest of a request answered at its head (its body, its end) is read and dropped.
    private var skippingRequest = false
    /// A request head held until its end shows that no body follows: a plugin route's, or, on
    /// an HTTP/2 stream, a static file's (answered after the read that may carry its reset).
    private var held: (head: HTTPRequest, kind: Held)?
    private enum Held {
        case plugin(PluginRouteResponder)
        case staticFile
    }
    /// A request answered here waits for a step in a task: what arrives meanwhile waits in
    /// `queued`, the connection is not read, and a request to quiesce waits too.
    private var answering = false
    private var queued = CircularBuffer<NIOAny>()
    private var readWanted = false
    private var quiesceWanted = false

    init(layers: HostMiddleware, routes: PluginRouteTable, grace: ShutdownGrace?, events: ConnectionEvents, logger: Logger) {
        self.layers = layers
        self.routes = routes
        self.grace = grace
        self.events = events
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        isStream = context.channel.isHTTP2Stream
        if !isStream {
            codec = try? context.pipeline.syncOperations.handler(type: HTTP1Codec.self)
            owedFlush = OwedFlush(on: context.eventLoop)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        payOwedFlush(context: context)
    }

    func payOwedFlush(context: ChannelHandlerContext) {
        owedFlush?.pay(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if answering {
            queued.append(data)
            return
        }
        process(data, context: context)
    }

    private func process(_ data: NIOAny, context: ChannelHandlerContext) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0 {
                if isStream, Self.mayBeStatic(head) {
                    held = (head, .staticFile)
                    return
                }
                if !isStream, answerStatic(head, context: context) {
                    skippingRequest = true
                    return
                }
                if let responder = pluginRoute(head) {
                    held = (head, .plugin(responder))
                    return
                }
            }
            passedOn += 1
        case .body:
            if skippingRequest { return }
            if let request = held {
                // It has a body after all: the request loop reads it, after the gate.
                held = nil
                passedOn += 1
                context.fireChannelRead(wrapInboundOut(.head(request.head)))
            }
        case .end:
            if skippingRequest {
                skippingRequest = false
                return
            }
            if let request = held {
                held = nil
                switch request.kind {
                case .plugin(let responder) where !isStream: answerPlugin(request.head, responder, context: context)
                default: answerAfterThisRead(request.head, request.kind, context: context)
                }
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        payOwedFlush(context: context)
        context.fireErrorCaught(error)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        payOwedFlush(context: context)
        context.close(mode: mode, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        guard answering else { return context.read() }
        readWanted = true
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side (NIO closes nothing on its own then) or the server is
        // draining: the answers written so far leave first.
        payOwedFlush(context: context)
        // An HTTP/2 stream told to quiesce closes once idle: not while its answer is being made here.
        if answering, event is ChannelShouldQuiesceEvent {
            quiesceWanted = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Static files

    /// A request the static cache may answer: a plain `GET` outside `/api`.
    private static func mayBeStatic(_ head: HTTPRequest) -> Bool {
        guard head.method == .get, !head.headerFields.contains(.connection), let target = head.path else { return false }
        return !ErrorAnswers.isAPI(target)
    }

    /// Writes the cached answer to `head`; false when it is not one this path answers.
    private func answerStatic(_ head: HTTPRequest, context: ChannelHandlerContext) -> Bool {
        guard Self.mayBeStatic(head) else { return false }
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        let requestContext = HostRequestContext(source: .init(channel: context.channel, logger: logger))
        guard let answer = layers.cachedStaticAnswer(request, context: requestContext) else { return false }
        write(answer.head, answer.body, requestContext, context: context, dated: answer.dated)
        return true
    }

    // MARK: Plugin routes

    /// The plugin route `head` asks for, when it is one this path may answer: a request that
    /// declares no body (its end decides), not `HEAD` (the router derives it from `GET`) or
    /// `OPTIONS` (CORS preflights), without `Connection` (the request loop's keep-alive rules).
    private func pluginRoute(_ head: HTTPRequest) -> PluginRouteResponder? {
        guard !routes.isEmpty, head.method != .head, head.method != .options, let target = head.path,
              !head.headerFields.contains(.connection), !head.headerFields.contains(.transferEncoding) else { return nil }
        if let length = head.headerFields[.contentLength], length != "0" { return nil }
        return routes.responder(method: head.method, target: target)
    }

    /// On an HTTP/2 stream the frames read with the request's HEADERS may carry its RST_STREAM
    /// (rapid reset sends thousands): the request is answered once the event loop has finished
    /// that read, and only if the client still wants it, so that nothing it cancelled reaches a
    /// plugin or the request log (as ``HTTP2Connection`` does for the request loop). A static
    /// file the cache turns out not to hold goes to the request loop then.
    private func answerAfterThisRead(_ head: HTTPRequest, _ kind: Held, context: ChannelHandlerContext) {
        answering = true
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (fastPath, context) = handler.value
            guard context.channel.isActive else {
                fastPath.events.cancelledBeforeHandler()
                return fastPath.resume(context: context)
            }
            fastPath.answering = false
            switch kind {
            case .plugin(let responder):
                fastPath.answerPlugin(head, responder, context: context)
            case .staticFile where !fastPath.answerStatic(head, context: context):
                fastPath.passOn(head, context: context)
            case .staticFile:
                break
            }
            if !fastPath.answering { fastPath.resume(context: context) }
        }
    }

    /// A whole request without a body, held here, goes to the request loop after all.
    private func passOn(_ head: HTTPRequest, context: ChannelHandlerContext) {
        passedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.fireChannelRead(wrapInboundOut(.end(nil)))
        context.fireChannelReadComplete()
    }

    private func answerPlugin(_ head: HTTPRequest, _ responder: PluginRouteResponder, context: ChannelHandlerContext) {
        // The request and its context are made into the run and taken from it by every step:
        // a copy of either retains each of their dozen references, and releases them again.
        let run = RouteRun(Request(head: head, body: .init(buffer: ByteBuffer())), context: HostRequestContext(source: .init(channel: context.channel, logger: logger)),
                           route: responder.served, work: .plugin(responder), pipeline: responder.pipeline)
        let start = layers.begin(run.request, context: run.context)
        responder.note(run.context)
        // Answered here, the rate-limit fields are written by the codec, as bytes.
        run.leavesLimitFieldsToWriter = codec != nil
        var next: RouteRun.Next
        do {
            next = try run.start()
            steps: while true {
                switch next {
                case .call(.answered(let answer)): next = run.answered(answer)
                // The request ended without a body.
                case .readBody: next = run.bodyRead(ByteBuffer())
                case .done:
                    var answer = Self.takeAnswer(&next)
                    let hostFields = codec != nil && layers.securityHeaders.areUniform(for: run.request.uri.path) ? layers.securityHeaders.bytes : nil
                    layers.finish(&answer, run.request, context: run.context, start, securityHeadersAsBytes: hostFields != nil)
                    return write(consume answer, run.context, context: context, limitFields: run.limitFields, hostFields: hostFields)
                case .call(.waiting), .checkLimit, .handle:
                    break steps
                }
            }
        } catch {
            return write(layers.finish(.failure(error), run.request, context: run.context, start), run.context, context: context)
        }
        // A step has to wait: the rest runs in a task on this event loop, and the connection waits for it.
        // Its answer is finished whole there, rate-limit fields included. The request is in
        // progress for a while: the log says so now, as for every request that waits.
        layers.announce(run.request, context: run.context, start)
        run.leavesLimitFieldsToWriter = false
        answering = true
        let (layers, pipeline, waiting) = (layers, responder.pipeline, next)
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task(executorPreference: EventLoopTaskExecutor(context.eventLoop)) {
            let outcome: Result<RouteResponse, any Error>
            do {
                outcome = .success(try await pipeline.finish(run, from: waiting))
            } catch {
                outcome = .failure(error)
            }
            let answer = layers.finish(outcome, run.request, context: run.context, start)
            handler.eventLoop.execute {
                let (fastPath, context) = handler.value
                fastPath.write(answer, run.context, context: context)
                fastPath.resume(context: context)
            }
        }
    }

    /// The finished answer out of `next`, which no longer holds it: its header list then has
    /// one owner, and the layers add their fields to it without a copy.
    private static func takeAnswer(_ next: inout RouteRun.Next) -> RouteResponse {
        guard case .done(let answer) = next else { preconditionFailure("no finished answer to take") }
        next = .readBody
        return answer
    }

    /// The answer written: what waited meanwhile goes on.
    private func resume(context: ChannelHandlerContext) {
        answering = false
        // The connection went away meanwhile: nobody reads an answer to what it sent behind.
        if !context.channel.isActive { queued.removeAll() }
        let replaying = !queued.isEmpty
        while !answering, let data = queued.popFirst() {
            process(data, context: context)
        }
        // What was passed on is delivered at the end of a read (Hummingbird's request loop takes
        // its input in batches then): these parts came outside one.
        if replaying { context.fireChannelReadComplete() }
        guard !answering else { return }
        if quiesceWanted {
            quiesceWanted = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        if readWanted {
            readWanted = false
            context.read()
        }
    }

    // MARK: Writing

    /// `answer` is consumed: the `Date` joins a list nothing else holds, without a copy of it.
    /// `limitFields`, `hostFields`: the codec writes the rate-limit fields, the security headers
    /// and the `Date` (not in `answer`).
    private func write(_ answer: consuming RouteResponse, _ requestContext: HostRequestContext, context: ChannelHandlerContext,
                       limitFields: RateLimitFields? = nil, hostFields: HostFieldBytes? = nil) {
        switch answer.body {
        case .bytes(let body):
            if hostFields == nil { dateField.set(in: &answer.headers) }
            write(HTTPResponse(status: answer.status, headerFields: answer.headers), body, requestContext, context: context, dated: true,
                  limitFields: limitFields, hostFields: hostFields)
        case .written:
            // Every answer a plugin route's pipeline makes carries bytes (RouteResponse); one that
            // does not would be a mistake in the host, answered rather than left hanging.
            logger.error("the fast path got an answer without its bytes for \(requestContext.logFields.route ?? "a plugin route"); sent 500")
            var fields = answer.headers
            fields[.contentLength] = "0"
            write(HTTPResponse(status: .internalServerError, headerFields: fields), ByteBuffer(), requestContext, context: context,
                  dated: hostFields != nil, limitFields: limitFields, hostFields: hostFields)
        }
    }

    /// `dated`: the head has its `Date` already. `limitFields`, `hostFields`: for the codec
    /// (``HTTP1Codec/limitFieldsForNextHead``, ``HTTP1Codec/hostFieldsForNextHead``).
    private func write(_ head: HTTPResponse, _ body: ByteBuffer, _ requestContext: HostRequestContext, context: ChannelHandlerContext, dated: Bool = false,
                       limitFields: RateLimitFields? = nil, hostFields: HostFieldBytes? = nil) {
        var head = head
        if !dated { dateField.set(in: &head.headerFields) }
        if let line = requestContext.logFields.responseLine {
            ResponseDelivery.expect(line, on: context.channel, grace: grace)
        }
        if let codec { (codec.limitFieldsForNextHead, codec.hostFieldsForNextHead) = (limitFields, hostFields) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        // Meant for this head only, whether or not it reached the codec.
        if let codec { (codec.limitFieldsForNextHead, codec.hostFieldsForNextHead) = (nil, nil) }
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        guard owedFlush != nil else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        // Large answers leave at once, each with its own flush, as before: a batch the socket
        // does not take whole is logged as one (``ResponseDelivery`` learns only whether a flush
        // left bytes waiting), and a few small answers are all that batching is for.
        owedFlush?.wrote(body.readableBytes)
        owedFlush?.flush(by: self, context: context)
    }
}
