package import FoundationEssentials
import Glibc
import NIOConcurrencyHelpers
package import NIOCore
import NIOPosix
import NIOSSL
package import PlugHostConfig

/// A minimal Redis client on SwiftNIO, the one both Redis stores (rate limits, API keys) use:
/// one connection, reused and pipelined; TLS for `rediss://`, verified against the configured CA
/// file; `AUTH` as the URL's ACL user; reconnected on demand, with backoff after a failure.
///
/// Every command has a deadline; a command that misses it fails and the connection is closed,
/// because a late reply would otherwise be taken as the answer to the next command.
///
/// After a connection attempt fails, commands fail at once (without trying) until the backoff
/// delay has passed: 50 ms after the first failure, doubling to at most 1 s. A Redis that is down
/// thus costs each request nothing, and is found again within a second of its return.
package final class RESPClient: Sendable {
    package let url: RedisURL
    /// What the client serves, for messages: `[rate_limit] store`, `[auth] store`.
    package let purpose: String
    let timeout: TimeAmount
    private let caFile: URL?
    private let group: any EventLoopGroup

    private enum Connection {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        /// The last attempt failed: no new one before `retryAt`.
        case backingOff(retryAt: NIODeadline, delay: TimeAmount, error: String)
    }

    private let connection = NIOLockedValueBox(Connection.idle)
    /// The TLS context, made at the first connection (reading the CA file) and kept.
    private let tlsContext = NIOLockedValueBox<NIOSSLContext?>(nil)

    /// The backoff: the delay after the first failed attempt, and the most it doubles to.
    package struct Backoff: Sendable {
        package let first: TimeAmount
        package let longest: TimeAmount

        package init(first: TimeAmount, longest: TimeAmount) {
            self.first = first
            self.longest = longest
        }

        package static let standard = Backoff(first: .milliseconds(50), longest: .seconds(1))
    }

    private let backoff: Backoff

    package init(url: RedisURL, caFile: URL?, timeout: Double, purpose: String, backoff: Backoff = .standard,
                 group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.url = url
        self.caFile = caFile
        self.purpose = purpose
        self.timeout = .nanoseconds(Int64(timeout * 1e9))
        self.backoff = backoff
        self.group = group
    }

    /// Sends one command (e.g. `["EVALSHA", sha, "1", key]`) and returns its reply. A Redis error
    /// reply is returned as `.error`, not thrown; transport failures and timeouts throw.
    package func send(_ command: [String]) async throws -> RESPValue {
        let channel = try await channel().get()
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(RESPError(message: "Redis did not answer within \(self.timeout.nanoseconds / 1_000_000) ms"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(RESPCommand(arguments: command, promise: promise), promise: nil)
        defer { deadline.cancel() }
        return try await promise.futureResult.get()
    }

    /// The open connection, or a new one (which authenticates and selects the database first).
    private func channel() -> EventLoopFuture<any Channel> {
        enum Step {
            case use(EventLoopFuture<any Channel>)
            case connect(EventLoopPromise<any Channel>, previousDelay: TimeAmount?)
        }
        let step = connection.withLockedValue { state -> Step in
            switch state {
            case .connected(let channel) where channel.isActive:
                return .use(channel.eventLoop.makeSucceededFuture(channel))
            case .connecting(let future):
                return .use(future)
            case .backingOff(let retryAt, _, let error) where NIODeadline.now() < retryAt:
                let wait = (retryAt - NIODeadline.now()).nanoseconds / 1_000_000
                return .use(group.next().makeFailedFuture(RESPError(message: "\(error) (next attempt in \(wait) ms)")))
            case .idle, .connected, .backingOff:
                let previousDelay: TimeAmount? = if case .backingOff(_, let delay, _) = state { delay } else { nil }
                let promise = group.next().makePromise(of: (any Channel).self)
                state = .connecting(promise.futureResult)
                return .connect(promise, previousDelay: previousDelay)
            }
        }
        switch step {
        case .use(let future):
            return future
        case .connect(let promise, let previousDelay):
            // The state changes before anyone waiting hears the outcome: a command sent right
            // after a failed attempt must find the backoff in place, not the failed attempt.
            connect().whenComplete { result in
                self.connection.withLockedValue { state in
                    switch result {
                    case .success(let channel):
                        state = .connected(channel)
                    case .failure(let error):
                        let delay = previousDelay.map { min($0 * 2, self.backoff.longest) } ?? self.backoff.first
                        state = .backingOff(retryAt: .now() + delay, delay: delay, error: "\(error)")
                    }
                }
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let url = self.url
        let timeout = self.timeout
        let eventLoop = group.next()
        let tls: NIOSSLContext?
        do {
            tls = try url.tls ? tlsContextMadeOnce() : nil
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        // SNI and the name check want a host name; for an IP address NIOSSL checks the
        // certificate's IP entries against the address connected to instead.
        let serverHostname = (try? SocketAddress(ipAddress: url.host, port: 0)) == nil ? url.host : nil
        let place = "\(url.redacted) (\(purpose))"
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPClientHandler())
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMapErrorThrowing { error in
                throw RESPError(message: "cannot connect to Redis at \(place): \(error)")
            }
            .flatMap { channel -> EventLoopFuture<any Channel> in
                let setup = Self.setupCommands(url)
                let promises = setup.map { command -> EventLoopPromise<RESPValue> in
                    let promise = channel.eventLoop.makePromise(of: RESPValue.self)
                    channel.writeAndFlush(RESPCommand(arguments: command, promise: promise), promise: nil)
                    return promise
                }
                // The setup gets the same deadline as every command: a server that accepts but
                // never answers must not hold requests. The replies fail here too, not only by
                // the close: a close of a channel that is already closed tells no one.
                let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                    let late = RESPError(message: "Redis did not answer within \(timeout.nanoseconds / 1_000_000) ms")
                    for promise in promises { promise.fail(late) }
                    channel.close(promise: nil)
                }
                return EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: channel.eventLoop)
                    .always { _ in deadline.cancel() }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw RESPError(message: "Redis at \(place) did not complete the connection: \(Self.describe(error, tls: url.tls))")
                    }
                    .flatMapThrowing { values in
                        for (command, value) in zip(setup, values) {
                            guard case .error(let message) = value else { continue }
                            channel.close(promise: nil)
                            // Redis's error text names no secret ("WRONGPASS invalid username-password pair ...").
                            throw RESPError(message: "Redis at \(place) refused \(command[0]): \(message); check the user, password and database in the URL")
                        }
                        return channel
                    }
            }
    }

    /// What a new connection sends before any command: `AUTH` (the ACL form when the URL names a
    /// user, the password-only form otherwise), `SELECT`, and a `PING`: at least one round trip,
    /// so that a TLS handshake or a server that closes at once fails on the connection's own
    /// account, not on the first command's.
    static func setupCommands(_ url: RedisURL) -> [[String]] {
        var setup: [[String]] = []
        if let password = url.password { setup.append(["AUTH"] + [url.user].compactMap { $0 } + [password]) }
        if url.database != 0 { setup.append(["SELECT", "\(url.database)"]) }
        setup.append(["PING"])
        return setup
    }

    /// The TLS context for `rediss://`: the CA file's certificates, or the system's, as trust
    /// roots; the server's certificate must chain to one and name the host (or address).
    private func tlsContextMadeOnce() throws -> NIOSSLContext {
        try tlsContext.withLockedValue { context in
            if let context { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.certificateVerification = .fullVerification
            if let caFile {
                do {
                    let certificates = try NIOSSLCertificate.fromPEMFile(caFile.path)
                    guard !certificates.isEmpty else { throw RESPError(message: "it holds no certificate") }
                    configuration.trustRoots = .certificates(certificates)
                } catch {
                    throw RESPError(message: "cannot read the CA certificates in \(caFile.path) ([redis] ca_file) for \(url.redacted): \(error)")
                }
            }
            let made = try NIOSSLContext(configuration: configuration)
            context = made
            return made
        }
    }

    /// An error of the connection's setup, said so that the operator knows what to fix.
    private static func describe(_ error: any Error, tls: Bool) -> String {
        guard tls, let ssl = error as? NIOSSLError else { return "\(error)" }
        return "TLS failed (\(ssl)); is the server's certificate signed by the CA in [redis] ca_file, and does it name this host?"
    }

    /// The delay the backoff is waiting out now; nil unless the last attempt failed.
    package var retryDelay: TimeAmount? {
        connection.withLockedValue { state in
            if case .backingOff(_, let delay, _) = state { delay } else { nil }
        }
    }

    package func close() {
        connection.withLockedValue { state in
            if case .connected(let channel) = state { channel.close(promise: nil) }
            state = .idle
        }
    }
}

/// One command on its way out, with the promise its reply fulfils.
private struct RESPCommand {
    let arguments: [String]
    let promise: EventLoopPromise<RESPValue>
}

/// Writes commands as RESP arrays and hands each reply to the oldest waiting command.
private final class RESPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    /// Why the connection ended, once it has: a command written after that fails at once with it
    /// (a TLS handshake can fail before the connection's first commands are written, and a
    /// command queued then would wait for a reply that never comes).
    private var ended: (any Error)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        if let ended {
            command.promise.fail(ended)
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeString("*\(command.arguments.count)\r\n")
        for argument in command.arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeString("\r\n")
        }
        waiting.append(command.promise)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let promise = waiting.popFirst() else { return }
        promise.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let closed = RESPError(message: "the connection to Redis closed")
        ended = ended ?? closed
        failAll(closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ended = ended ?? error
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
