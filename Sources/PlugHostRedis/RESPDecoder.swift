package import NIOCore

/// Parses RESP2 replies; waits for more bytes when a reply is incomplete.
package struct RESPDecoder: ByteToMessageDecoder {
    package typealias InboundOut = RESPValue

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var copy = buffer
        guard let value = try Self.parse(&copy) else { return .needMoreData }
        buffer = copy
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    /// One value from the front of `buffer`, or nil if it is not all there yet.
    package static func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
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
