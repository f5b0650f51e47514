/// A value of the Redis protocol (RESP2).
package enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString([UInt8]?)
    case array([RESPValue]?)

    package var integer: Int? { if case .integer(let value) = self { value } else { nil } }
    package var array: [RESPValue]? { if case .array(let value) = self { value } else { nil } }
    /// A bulk or simple string as text; nil for anything else (a nil bulk string included).
    package var text: String? {
        switch self {
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        case .simpleString(let text): text
        default: nil
        }
    }
}

/// Why a Redis command failed.
package struct RESPError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }

    package init(message: String) { self.message = message }
}
