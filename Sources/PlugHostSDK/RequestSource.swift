import Glibc
import PlugHostABI
import Synchronization

/// Where a ``Request``'s (and a ``ResponseHead``'s) values come from: the host's view while the
/// call lasts, read only as the plugin asks for each value, and a copy of everything once the
/// call has returned if the plugin kept the request.
///
/// The view is valid only until the handler or hook returns (plughost.h). Most plugins read one
/// or two values and keep nothing: they pay for those values only. A plugin that keeps the
/// request (a later answer, a task) gets the copy, made before the call returns
/// (``lend(_:response:_:)``), so reading it later, from any thread, never touches the view.
final class RequestSource: Sendable {
    /// Which header list of the call: the request's, or the answer's for a response hook.
    enum HeaderList: Sendable { case request, response }

    /// The pointers the host lent for the call; read only under `copy`'s lock, and only while it is nil.
    private struct View: @unchecked Sendable {
        let request: UnsafePointer<ph_request_t>
        let response: UnsafePointer<ph_response_view_t>?
    }

    /// Written only at init and by ``lend(_:response:_:)`` on a source nothing else references
    /// (one kept from an earlier call of the thread); read under `copy`'s lock.
    nonisolated(unsafe) private var view: View
    /// Nil while the view is lent; the copy of every value once the call has returned.
    private let copy = Mutex<Copy?>(nil)

    struct Copy: Sendable {
        let method: String
        let path: String
        let route: String
        let query: String
        let parameters: [String: String]
        let headers: [Header]
        let body: [UInt8]
        let clientAddress: String
        let keyName: String?
        let responseStatus: Int
        let responseHeaders: [Header]
    }

    private init(request: UnsafePointer<ph_request_t>, response: UnsafePointer<ph_response_view_t>?) {
        view = View(request: request, response: response)
    }

    /// Runs `body` with a request (and, for a response hook, the answer so far) read from the
    /// host's view; copies them before returning if `body` kept either.
    static func lend<Result>(_ request: UnsafePointer<ph_request_t>, response: UnsafePointer<ph_response_view_t>? = nil,
                             _ body: (Request, ResponseHead?) throws -> Result) rethrows -> Result {
        // The thread's source from its last call if nothing kept it (the usual case), else a new one.
        var source: RequestSource
        if let spare = SpareSource.take() {
            spare.view = View(request: request, response: response)
            source = spare
        } else {
            source = RequestSource(request: request, response: response)
        }
        defer {
            // Uniquely referenced here: nobody kept the request, and the view may go; the source
            // serves the thread's next call. Otherwise the copy is made now, while the view is
            // still valid, and the source stays with whoever kept it.
            if isKnownUniquelyReferenced(&source) {
                SpareSource.keep(source)
            } else {
                source.detach()
            }
        }
        return try body(Request(source: source), response == nil ? nil : ResponseHead(source: source))
    }

    /// Each thread's spare source: one whose call returned with nobody keeping it. Taken out of
    /// the slot while in use, so a spare is always referenced by its slot alone.
    private enum SpareSource {
        static func take() -> RequestSource? {
            guard let pointer = pthread_getspecific(key) else { return nil }
            pthread_setspecific(key, nil)
            return Unmanaged<RequestSource>.fromOpaque(pointer).takeRetainedValue()
        }

        static func keep(_ source: RequestSource) {
            // A nested call's source (a handler that somehow runs another) finds the slot taken: it just goes.
            guard pthread_getspecific(key) == nil else { return }
            pthread_setspecific(key, Unmanaged.passRetained(source).toOpaque())
        }

        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            let made = pthread_key_create(&key) { pointer in
                if let pointer { Unmanaged<RequestSource>.fromOpaque(pointer).release() }
            }
            precondition(made == 0, "pthread_key_create failed: \(made)")
            return key
        }()
    }

    /// One value: from the copy if there is one, else from the view (under the lock, so the copy
    /// cannot be made — and the view given back — in between).
    func read<Value>(_ fromView: (ph_request_t, ph_response_view_t?) -> Value, _ fromCopy: (Copy) -> Value) -> Value {
        copy.withLock { copy in
            if let copy { return fromCopy(copy) }
            return fromView(view.request.pointee, view.response?.pointee)
        }
    }

    /// A value of the request itself.
    func read<Value>(_ fromView: (ph_request_t) -> Value, _ fromCopy: (Copy) -> Value) -> Value {
        read({ request, _ in fromView(request) }, fromCopy)
    }

    /// The first value of header `name` (any case) without copying the others.
    func firstHeader(named name: String, in list: HeaderList) -> String? {
        read({ request, response in
            let (pairs, count) = list == .request ? (request.headers, request.header_count) : (response?.headers, response?.header_count ?? 0)
            guard let pairs else { return nil }
            for index in 0..<count where HeaderName.matches(name, pairs[index].name.bytes) {
                return String(pairs[index].value)
            }
            return nil
        }, { copy in
            (list == .request ? copy.headers : copy.responseHeaders).first { HeaderName.matches(name, $0.name) }?.value
        })
    }

    func headers(_ list: HeaderList) -> [Header] {
        read({ request, response in
            list == .request
                ? Self.headers(request.headers, request.header_count)
                : Self.headers(response?.headers, response?.header_count ?? 0)
        }, { list == .request ? $0.headers : $0.responseHeaders })
    }

    /// Copies every value out of the view, once; later reads use the copy.
    private func detach() {
        copy.withLock { copy in
            guard copy == nil else { return }
            let request = view.request.pointee
            let response = view.response?.pointee
            copy = Copy(
                method: String(request.method), path: String(request.path), route: String(request.route), query: String(request.query),
                parameters: Self.parameters(request), headers: Self.headers(request.headers, request.header_count),
                body: Self.body(request), clientAddress: String(request.client_address), keyName: Self.keyName(request),
                responseStatus: response.map { Int($0.status) } ?? 0,
                responseHeaders: response.map { Self.headers($0.headers, $0.header_count) } ?? []
            )
        }
    }

    static func parameters(_ request: ph_request_t) -> [String: String] {
        var parameters: [String: String] = [:]
        guard let pairs = request.params else { return parameters }
        for index in 0..<request.param_count {
            parameters[String(pairs[index].name)] = String(pairs[index].value)
        }
        return parameters
    }

    static func headers(_ pairs: UnsafePointer<ph_pair_t>?, _ count: Int) -> [Header] {
        guard let pairs else { return [] }
        return (0..<count).map { Header(name: String(pairs[$0].name), value: String(pairs[$0].value)) }
    }

    static func body(_ request: ph_request_t) -> [UInt8] {
        request.body.len == 0 ? [] : Array(request.body.bytes)
    }

    static func keyName(_ request: ph_request_t) -> String? {
        request.key_name.len == 0 ? nil : String(request.key_name)
    }
}

/// Header names compared as HTTP compares them: ASCII letters without regard to case, no copy.
enum HeaderName {
    static func matches(_ name: String, _ other: String) -> Bool {
        var other = other
        return other.withUTF8 { matches(name, UnsafeRawBufferPointer($0)) }
    }

    static func matches(_ name: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard name.utf8.count == bytes.count else { return false }
        return zip(name.utf8, bytes).allSatisfy { lowered($0) == lowered($1) }
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}

extension ph_str_t {
    /// The bytes the view points at; valid only as long as the view is (plughost.h).
    var bytes: UnsafeRawBufferPointer {
        guard len > 0, let data else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: len)
    }
}
