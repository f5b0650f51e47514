import FoundationEssentials
import Glibc
import PlugHostABI

/// An HTTP request as a route handler or a hook sees it. Each value is read from the host's
/// request view when it is first asked for, so a handler pays only for what it reads; a request
/// kept after the handler returns (an answer given later, a task) holds a copy of everything,
/// made before the handler returned. Either way it may be kept and passed to other threads freely.
public struct Request: Sendable {
    let source: RequestSource

    init(source: RequestSource) { self.source = source }

    /// `GET`, `POST`, ...
    public var method: String { source.read({ String($0.method) }, \.method) }
    /// The path as requested, percent-decoded, e.g. `/api/items/42`.
    public var path: String { source.read({ String($0.path) }, \.path) }
    /// The template the route was registered with, e.g. `/items/{id}`.
    public var route: String { source.read({ String($0.route) }, \.route) }
    /// The raw query string without `?`; empty when there is none.
    public var query: String { source.read({ String($0.query) }, \.query) }
    /// Path parameters by name, e.g. `["id": "42"]` for `/items/{id}`.
    public var parameters: [String: String] { source.read({ RequestSource.parameters($0) }, \.parameters) }
    /// Request headers in arrival order.
    public var headers: Headers { Headers(source: source, list: .request) }
    /// The whole request body, byte for byte.
    public var body: [UInt8] { source.read({ RequestSource.body($0) }, \.body) }
    /// The client's IP address as text; empty when unknown.
    public var clientAddress: String { source.read({ String($0.client_address) }, \.clientAddress) }
    /// The name of the API key that authenticated the request, if any.
    public var keyName: String? { source.read({ RequestSource.keyName($0) }, \.keyName) }

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
        self = String(decoding: view.bytes, as: UTF8.self)
    }
}
