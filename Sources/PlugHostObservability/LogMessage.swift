/// A request-log message as its pieces: what `"request \(method) \(target)"` makes when the
/// message is a `LogMessage`, without joining them into a string of their own. The pieces are
/// kept inline (the literals are static text, the values the request's own strings), and the
/// line is rendered from them straight into its buffer (``LogLineFormat``): no allocation per
/// message, for the lines every request writes.
public struct LogMessage: ExpressibleByStringInterpolation, Sendable {
    /// Inline room for 12 pieces; a longer message joins the rest into the last one.
    private var pieces = InlineArray<12, String>(repeating: "")
    private(set) var count = 0

    public struct StringInterpolation: StringInterpolationProtocol {
        var message = LogMessage()
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) { message.append(literal) }
        public mutating func appendInterpolation(_ value: String) { message.append(value) }
        public mutating func appendInterpolation(_ value: Int) { message.append(String(value)) }
    }

    public init(stringInterpolation: StringInterpolation) { self = stringInterpolation.message }
    public init(stringLiteral value: String) { append(value) }
    init() {}

    private mutating func append(_ piece: String) {
        guard !piece.isEmpty else { return }
        guard count < pieces.count else { return pieces[pieces.count - 1] += piece }
        pieces[count] = piece
        count += 1
    }

    /// Each piece, in order.
    func forEach(_ body: (String) -> Void) {
        for index in 0..<count { body(pieces[index]) }
    }

    /// The message as one string (for the JSON format and swift-log).
    public var text: String {
        var text = ""
        forEach { text += $0 }
        return text
    }
}
