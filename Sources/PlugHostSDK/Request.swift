import Foundation
import PlugHostABI

/// An HTTP request as a route handler sees it: a plain value, copied out of the host's
/// request view, so it may be kept and passed to other threads freely.
public struct Request: Sendable {
    /// `GET`, `POST`, ...
    public let method: String
    /// The path as requested, percent-decoded, e.g. `/api/items/42`.
    public let path: String
    /// The template the route was registered with, e.g. `/items/{id}`.
    public let route: String
    /// The raw query string without `?`; empty when there is none.
    public let query: String
    /// Path parameters by name, e.g. `["id": "42"]` for `/items/{id}`.
    public let parameters: [String: String]
    /// Request headers in arrival order.
    public let headers: Headers
    /// The whole request body, byte for byte.
    public let body: [UInt8]
    /// The client's IP address as text; empty when unknown.
    public let clientAddress: String
    /// The name of the API key that authenticated the request, if any.
    public let keyName: String?

    init(copying view: ph_request_t) {
        method = String(view.method)
        path = String(view.path)
        route = String(view.route)
        query = String(view.query)
        var parameters: [String: String] = [:]
        for index in 0..<view.param_count {
            let pair = view.params[index]
            parameters[String(pair.name)] = String(pair.value)
        }
        self.parameters = parameters
        headers = Headers(copying: view.headers, count: view.header_count)
        body = view.body.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: view.body.data, count: view.body.len))
        clientAddress = String(view.client_address)
        keyName = view.key_name.len == 0 ? nil : String(view.key_name)
    }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Decodes the body as JSON.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body))
    }
}

extension String {
    /// Copies a host string view; invalid UTF-8 is replaced rather than trusted.
    init(_ view: ph_str_t) {
        guard view.len > 0, let data = view.data else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: data, count: view.len), as: UTF8.self)
    }
}
