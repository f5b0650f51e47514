import FoundationEssentials
import Glibc

/// An answer to a request: status, headers and body.
public struct Response: Sendable {
    public var status: Int
    public var headers: Headers
    public var body: [UInt8]

    public init(status: Int = 200, headers: Headers = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer encoded from `value`.
    public static func json(_ value: some Encodable, status: Int = 200) -> Response {
        // The common answer, an object of strings, without building a JSONEncoder per answer.
        if let object = value as? [String: String] {
            return Response(status: status, headers: ["Content-Type": "application/json"], body: JSONText.object(object))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            return Response(status: status, headers: ["Content-Type": "application/json"], body: Array(data))
        } catch {
            return .problem(status: 500, detail: "The plugin could not encode its answer as JSON: \(error)")
        }
    }

    /// A plain-text answer.
    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// Raw bytes with the given content type.
    public static func bytes(_ body: [UInt8], contentType: String = "application/octet-stream", status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: body)
    }

    /// An error answer in the host's error shape: `{"detail": "..."}`.
    public static func problem(status: Int, detail: String) -> Response {
        .json(["detail": detail], status: status)
    }
}
