import NIOCore
import NIOHTTP2

/// The life of one HTTP/2 connection: when it is idle, when and how it ends. It replaces
/// Hummingbird's `HTTP2ServerConnectionManager` (``HTTP2Connection`` says why) and keeps its
/// graceful close: GOAWAY with the highest stream id and a PING, then, once the PING is
/// acknowledged, a second GOAWAY with the last stream taken, and the close once those streams are
/// done. What differs (docs/SECURITY.md, "HTTP/2 under abuse"):
///
/// - A client that never acknowledges the PING is not kept for ever: after
///   `[limits] request_head_timeout` the second GOAWAY goes out anyway and the connection closes
///   (Hummingbird waits for the acknowledgement with no timeout).
/// - Every close the host decides is preceded by a GOAWAY whose `last_stream_id` is the last stream
///   the host took, and the streams below it are answered or reset (RST_STREAM), never dropped:
///   too many PINGs (Hummingbird closed at once, dropping the requests in flight) and too many
///   streams cancelled by the client (rapid reset: NIOHTTP2's own limit answers with
///   `last_stream_id` 0; this one, at the same rate, fires first and says which streams it took).
/// - It keeps the response bytes buffered on the connection's streams (``HTTP2StreamWatch``), for
///   their bound.
///
/// A connection's first request head is awaited by ``FirstRequestDeadline``; the idle timer runs
/// from the moment its last stream closes.
final class HTTP2ConnectionManager: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// Client cancellations (RST_STREAM) tolerated within ``resetWindow``: NIOHTTP2's own default,
    /// whose limit ``HTTP2Connection`` raises so that this one is met first.
    static let maxPeerResets = 200
    static let resetWindow: TimeAmount = .seconds(30)
    /// A client PING is welcome once per this interval; more often is a strike, and more than
    /// ``maxPingStrikes`` ends the connection (Hummingbird's and gRPC's rule).
    static let pingInterval: TimeAmount = .seconds(30)
    static let maxPingStrikes = 2
    /// How long the streams below an abuse GOAWAY may take to finish before they are reset.
    static let abuseDrainSeconds = 5.0
    /// How long a connection ended for abuse stays open (reading, taking nothing new) after its
    /// last stream: an abusive client keeps sending, and closing a socket with unread bytes sends
    /// a TCP reset, which can destroy the GOAWAY before the client has read it.
    static let abuseLingerSeconds = 1.0

    private enum Phase {
        case active
        /// The first GOAWAY and its PING are out; waiting for the acknowledgement.
        case awaitingPingAck(HTTP2PingData)
        /// The final GOAWAY is out: the connection closes when its last stream does.
        case closing
    }

    private let idleSeconds: Double
    private let pingAckSeconds: Double
    private let events: ConnectionEvents
    private var phase = Phase.active
    private var context: ChannelHandlerContext?
    private var streams: [HTTP2StreamID: any Channel] = [:]
    private var lastStreamID = HTTP2StreamID.rootStream
    /// One timer at a time: idle, waiting for the PING acknowledgement, or draining after abuse.
    private var timer: Scheduled<Void>?
    /// When the client's recent cancellations happened, oldest first (at most ``maxPeerResets``).
    private var peerResets: [NIODeadline] = []
    private var lastPing: NIODeadline?
    private var pingStrikes = 0
    /// Ended for abuse: the close waits ``abuseLingerSeconds`` after the last stream.
    private var lingering = false
    private var inReadLoop = false
    private var flushPending = false
    /// Response bytes written on this connection's streams that the client has not taken yet.
    var bufferedBytes = 0

    init(idleSeconds: Double, pingAckSeconds: Double, events: ConnectionEvents) {
        self.idleSeconds = idleSeconds
        self.pingAckSeconds = pingAckSeconds
        self.events = events
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadLoop = true
        if case .ping(let ping, let ack) = unwrapInboundIn(data).payload {
            if ack { pingAcknowledged(ping) } else { pingReceived() }
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadLoop = false
        if flushPending {
            flushPending = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            beginGracefulClose()
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sends nothing more: answer what it asked, then close.
            sendFinalGoAway(code: .noError, reason: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A connection error: NIOHTTP2 has written its GOAWAY already.
        context.close(promise: nil)
    }

    // MARK: streams

    fileprivate func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        streams[id] = channel
        if id > lastStreamID { lastStreamID = id }
        if case .active = phase { cancelTimer() }
    }

    fileprivate func streamClosed(_ id: HTTP2StreamID) {
        streams[id] = nil
        guard streams.isEmpty else { return }
        switch phase {
        case .active: startTimer(seconds: idleSeconds) { $0.beginGracefulClose() }
        case .awaitingPingAck: break
        case .closing where lingering: startTimer(seconds: Self.abuseLingerSeconds) { $0.closeNow() }
        case .closing: closeNow()
        }
    }

    /// The client reset one of its streams (``HTTP2StreamWatch`` saw its RST_STREAM).
    func streamResetByPeer() {
        let now = NIODeadline.now()
        if peerResets.count == Self.maxPeerResets {
            let oldest = peerResets.removeFirst()
            if now - oldest < Self.resetWindow {
                endForAbuse(.tooManyResets)
                return
            }
        }
        peerResets.append(now)
    }

    // MARK: PINGs and GOAWAYs

    private func pingReceived() {
        let now = NIODeadline.now()
        if let lastPing, now - lastPing < Self.pingInterval {
            pingStrikes += 1
            if pingStrikes > Self.maxPingStrikes { endForAbuse(.tooManyPings) }
        } else {
            lastPing = now
        }
    }

    private func pingAcknowledged(_ ping: HTTP2PingData) {
        guard case .awaitingPingAck(let sent) = phase, sent == ping else { return }
        sendFinalGoAway(code: .noError, reason: nil)
    }

    /// Idle, or the server is draining: tell the client that no new stream will be taken once the
    /// ones in flight have arrived (GOAWAY with the highest id, then a PING to learn when they have).
    private func beginGracefulClose() {
        guard case .active = phase, let context else { return }
        let ping = HTTP2PingData(withInteger: .random(in: .min ... .max))
        phase = .awaitingPingAck(ping)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))), promise: nil)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(ping, ack: false))), promise: nil)
        flush()
        startTimer(seconds: pingAckSeconds) { manager in
            manager.sendFinalGoAway(code: .noError, reason: .pingTimeout)
        }
    }

    /// Ends the connection for abuse: GOAWAY with the last stream taken, then the streams below it
    /// get ``abuseDrainSeconds`` to finish before they are reset, and the connection closes
    /// ``abuseLingerSeconds`` after its last stream.
    private func endForAbuse(_ reason: HTTP2ConnectionEnd) {
        if case .closing = phase { return }
        lingering = true
        sendFinalGoAway(code: .enhanceYourCalm, reason: reason)
        guard !streams.isEmpty else {
            startTimer(seconds: Self.abuseLingerSeconds) { $0.closeNow() }
            return
        }
        startTimer(seconds: Self.abuseDrainSeconds) { manager in
            for stream in manager.streams.values { stream.close(promise: nil) }
            manager.startTimer(seconds: Self.abuseLingerSeconds) { $0.closeNow() }
        }
    }

    /// The GOAWAY that names the last stream this connection takes; the connection closes once the
    /// streams below it are done (``abuseLingerSeconds`` later after abuse). False if one was
    /// sent already.
    @discardableResult
    private func sendFinalGoAway(code: HTTP2ErrorCode, reason: HTTP2ConnectionEnd?) -> Bool {
        if case .closing = phase { return false }
        guard let context else { return false }
        cancelTimer()
        phase = .closing
        let note = reason.map { context.channel.allocator.buffer(string: $0.rawValue) }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: code, opaqueData: note))), promise: nil)
        flush()
        if let reason {
            events.endedConnection(address: context.channel.remoteAddress?.ipAddress ?? "unknown", reason: reason, lastStreamID: Int(lastStreamID))
        }
        if streams.isEmpty, !lingering { closeNow() }
        return true
    }

    private func closeNow() {
        cancelTimer()
        guard let context else { return }
        // FlushBeforeClose sends what is written (the GOAWAY, the RST_STREAMs) before TLS ends.
        context.close(promise: nil)
    }

    private func flush() {
        if inReadLoop { flushPending = true } else { context?.flush() }
    }

    private func startTimer(seconds: Double, _ fire: @escaping (HTTP2ConnectionManager) -> Void) {
        cancelTimer()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [weak self] in
            guard let self else { return }
            self.timer = nil
            fire(self)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

extension HTTP2ConnectionManager {
    /// NIOHTTP2 tells it of each stream opened and closed, on the connection's event loop.
    struct StreamDelegate: NIOHTTP2StreamDelegate {
        let manager: NIOLoopBound<HTTP2ConnectionManager>

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            manager.value.streamCreated(id, channel: channel)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            manager.value.streamClosed(id)
        }
    }
}
