import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PlugHostConfig
import Synchronization

/// A value of the Redis protocol (RESP2).
enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString([UInt8]?)
    case array([RESPValue]?)

    var integer: Int? { if case .integer(let value) = self { value } else { nil } }
    var array: [RESPValue]? { if case .array(let value) = self { value } else { nil } }
}

/// Why a Redis command failed.
struct RESPError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A minimal Redis client on SwiftNIO: one connection, reused, pipelined, reconnected on demand.
///
/// Every command has a deadline; a command that misses it fails and the connection is closed,
/// because a late reply would otherwise be taken as the answer to the next command.
final class RESPClient: Sendable {
    let url: RedisURL
    let timeout: TimeAmount
    private let group: any EventLoopGroup
    private enum Connection {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
    }

    private let connection = NIOLockedValueBox(Connection.idle)

    init(url: RedisURL, timeout: Double, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.url = url
        self.timeout = .nanoseconds(Int64(timeout * 1e9))
        self.group = group
    }

    /// Sends one command (e.g. `["EVALSHA", sha, "1", key]`) and returns its reply. A Redis error
    /// reply is returned as `.error`, not thrown; transport failures and timeouts throw.
    func send(_ command: [String]) async throws -> RESPValue {
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
        connection.withLockedValue { state in
            switch state {
            case .connected(let channel) where channel.isActive:
                return channel.eventLoop.makeSucceededFuture(channel)
            case .connecting(let future):
                return future
            case .idle, .connected:
                let future = connect()
                state = .connecting(future)
                future.whenComplete { result in
                    self.connection.withLockedValue { state in
                        switch result {
                        case .success(let channel): state = .connected(channel)
                        case .failure: state = .idle
                        }
                    }
                }
                return future
            }
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let url = self.url
        let timeout = self.timeout
        return ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPClientHandler())
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                var setup: [[String]] = []
                if let password = url.password { setup.append(["AUTH", password]) }
                if url.database != 0 { setup.append(["SELECT", "\(url.database)"]) }
                let replies = setup.map { command -> EventLoopFuture<RESPValue> in
                    let promise = channel.eventLoop.makePromise(of: RESPValue.self)
                    channel.writeAndFlush(RESPCommand(arguments: command, promise: promise), promise: nil)
                    return promise.futureResult
                }
                // AUTH and SELECT get the same deadline as every command: a server that accepts
                // but never answers must not hold requests.
                let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                    channel.close(promise: nil)
                }
                return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).always { _ in deadline.cancel() }.flatMapThrowing { values in
                    if values.contains(where: { if case .error = $0 { true } else { false } }) {
                        channel.close(promise: nil)
                        throw RESPError(message: "Redis refused AUTH or SELECT; check the password and database in [rate_limit] store")
                    }
                    return channel
                }
            }
    }

    func close() {
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
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
        failAll(RESPError(message: "the connection to Redis closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

/// Parses RESP2 replies; waits for more bytes when a reply is incomplete.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var copy = buffer
        guard let value = try Self.parse(&copy) else { return .needMoreData }
        buffer = copy
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    /// One value from the front of `buffer`, or nil if it is not all there yet.
    static func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        try parse(&buffer, depth: 0)
    }

    /// Redis's own ceiling for one bulk string (proto-max-bulk-len); also keeps `length + 2` from overflowing.
    static let maxBulkLength = 512 * 1024 * 1024
    /// The host's replies nest one level; anything this deep is not Redis talking to us.
    static let maxDepth = 16

    private static func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard let type = buffer.readInteger(as: UInt8.self), let line = readLine(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int(line) else { throw RESPError(message: "bad integer reply '\(line.prefix(32))'") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length <= maxBulkLength else { throw RESPError(message: "bad bulk length '\(line.prefix(32))'") }
            if length < 0 { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count <= maxBulkLength, depth < maxDepth else {
                throw RESPError(message: "bad array length '\(line.prefix(32))' or nesting deeper than \(maxDepth)")
            }
            if count < 0 { return .array(nil) }
            var elements: [RESPValue] = []
            // Each element takes at least 3 bytes ("+\r\n"): never reserve more than could arrive.
            elements.reserveCapacity(min(count, buffer.readableBytes / 3))
            for _ in 0..<count {
                guard let element = try parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPError(message: "unknown reply type byte \(type)")
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let end = view.firstIndex(of: UInt8(ascii: "\r")), end + 1 < view.endIndex, view[end + 1] == UInt8(ascii: "\n") else { return nil }
        let line = buffer.readString(length: end - view.startIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}
