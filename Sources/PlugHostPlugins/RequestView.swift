package import HTTPTypes
package import PlugHostABI

/// The `ph_request_t` a handler or hook receives, with every string it points to, in one
/// allocation (the object itself: its tail holds the structs and the bytes); for a response
/// hook also the `ph_response_view_t`.
///
/// Immutable once made (so it may cross threads) and freed with the object. The call table keeps
/// the view alive until the plugin's respond() has returned, which is exactly the lifetime the ABI
/// promises.
package struct RequestView: @unchecked Sendable {
    private let storage: RequestViewStorage
    package struct Fields {
        var method: String
        var path: String
        var route: String
        var query: String
        var parameters: [(String, String)]
        /// The request's headers as the host holds them; their bytes are copied into the view
        /// directly, with no list of strings in between.
        var headers: HTTPFields
        /// A header left out of the view (the API key's): plugins never see it.
        var hiddenHeader: HTTPField.Name?
        var clientAddress: String
        var keyName: String
        /// The answer so far, for a response hook.
        package var response: (status: Int, headers: HTTPFields)?

        package init(method: String, path: String, route: String, query: String, parameters: [(String, String)],
                     headers: HTTPFields, hiddenHeader: HTTPField.Name? = nil, clientAddress: String, keyName: String,
                     response: (status: Int, headers: HTTPFields)? = nil) {
            self.method = method
            self.path = path
            self.route = route
            self.query = query
            self.parameters = parameters
            self.headers = headers
            self.hiddenHeader = hiddenHeader
            self.clientAddress = clientAddress
            self.keyName = keyName
            self.response = response
        }
    }

    package var request: UnsafePointer<ph_request_t> {
        UnsafePointer(storage.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0).assumingMemoryBound(to: ph_request_t.self) })
    }

    /// Set when `Fields.response` was.
    package var response: UnsafePointer<ph_response_view_t>? {
        guard storage.header.hasResponse else { return nil }
        return storage.withUnsafeMutablePointerToElements {
            UnsafePointer((UnsafeMutableRawPointer($0) + MemoryLayout<ph_request_t>.stride).assumingMemoryBound(to: ph_response_view_t.self))
        }
    }

    /// Copies `fields` and `body` (a contiguous buffer, e.g. a collected ByteBuffer) into one new view.
    package static func make(_ fields: Fields, body: UnsafeRawBufferPointer) -> RequestView {
        // One pass over the headers: their bytes are guessed generously; a guess too small (a
        // cookie of kilobytes, say) is noticed while writing, and the view is made again, measured.
        make(fields, body: body, headerBytes: nil) ?? make(fields, body: body, headerBytes: measuredHeaderBytes(fields))!
    }

    /// Room for each header's name and value when they are not measured first.
    private static let guessedBytesPerHeader = 96

    private static func measuredHeaderBytes(_ fields: Fields) -> Int {
        var bytes = 0
        for field in fields.headers where field.name != fields.hiddenHeader { bytes += field.name.canonicalName.utf8.count + field.value.utf8.count }
        for field in fields.response?.headers ?? [:] { bytes += field.name.canonicalName.utf8.count + field.value.utf8.count }
        return bytes
    }

    /// The view, or nil when the headers' bytes exceed `headerBytes` (nil: a guess).
    private static func make(_ fields: Fields, body: UnsafeRawBufferPointer, headerBytes: Int?) -> RequestView? {
        let hidden = fields.hiddenHeader
        let responseHeaders = fields.response?.headers.count ?? 0
        // Pairs for every header: the hidden one's slot stays unused.
        let pairCapacity = fields.parameters.count + fields.headers.count + responseHeaders
        var textBytes = body.count + fields.method.utf8.count + fields.path.utf8.count + fields.route.utf8.count
            + fields.query.utf8.count + fields.clientAddress.utf8.count + fields.keyName.utf8.count
        for (name, value) in fields.parameters { textBytes += name.utf8.count + value.utf8.count }
        textBytes += headerBytes ?? (fields.headers.count + responseHeaders) * guessedBytesPerHeader
        let responseOffset = MemoryLayout<ph_request_t>.stride
        let pairsOffset = responseOffset + (fields.response == nil ? 0 : MemoryLayout<ph_response_view_t>.stride)
        let textOffset = pairsOffset + pairCapacity * MemoryLayout<ph_pair_t>.stride
        let words = (textOffset + textBytes + 7) / 8
        let made = RequestViewStorage.create(minimumCapacity: words) { _ in RequestViewLayout(hasResponse: fields.response != nil) }
        let storage = unsafeDowncast(made, to: RequestViewStorage.self)
        let fits = storage.withUnsafeMutablePointerToElements { elements -> Bool in
            let base = UnsafeMutableRawPointer(elements)
            // Parameters, then request headers, then response headers, in one array of pairs.
            let pairs = (base + pairsOffset).bindMemory(to: ph_pair_t.self, capacity: pairCapacity)
            var writer = ViewWriter(cursor: base + textOffset, end: base + textOffset + textBytes, pairs: pairs)
            // The fixed strings first: they were measured, so whatever overflows is a header's.
            let request = ph_request_t(
                struct_size: UInt32(MemoryLayout<ph_request_t>.size),
                method: writer.copy(fields.method),
                path: writer.copy(fields.path),
                route: writer.copy(fields.route),
                query: writer.copy(fields.query),
                params: fields.parameters.isEmpty ? nil : UnsafePointer(pairs),
                param_count: fields.parameters.count,
                headers: nil,
                header_count: 0,
                body: writer.copy(body),
                client_address: writer.copy(fields.clientAddress),
                key_name: writer.copy(fields.keyName)
            )
            for (name, value) in fields.parameters { writer.append(name, value) }
            for field in fields.headers where field.name != hidden {
                guard writer.append(field.name.canonicalName, field.value) else { return false }
            }
            let headerCount = writer.pairIndex - fields.parameters.count
            for field in fields.response?.headers ?? [:] {
                guard writer.append(field.name.canonicalName, field.value) else { return false }
            }
            let responseHeaderCount = writer.pairIndex - fields.parameters.count - headerCount
            var complete = request
            complete.headers = headerCount == 0 ? nil : UnsafePointer(pairs + fields.parameters.count)
            complete.header_count = headerCount
            base.bindMemory(to: ph_request_t.self, capacity: 1).initialize(to: complete)
            if let answer = fields.response {
                (base + responseOffset).bindMemory(to: ph_response_view_t.self, capacity: 1).initialize(to: ph_response_view_t(
                    struct_size: UInt32(MemoryLayout<ph_response_view_t>.size),
                    status: UInt16(clamping: answer.status),
                    headers: responseHeaderCount == 0 ? nil : UnsafePointer(pairs + fields.parameters.count + headerCount),
                    header_count: responseHeaderCount
                ))
            }
            return true
        }
        return fits ? RequestView(storage: storage) : nil
    }
}

/// Writes a view's pairs and bytes into its tail, front to back. A struct with mutating methods
/// rather than local functions that capture the cursor: captured variables cost a dynamic
/// exclusivity check on every access, which the profile showed.
private struct ViewWriter {
    var cursor: UnsafeMutableRawPointer
    /// The end of the room for bytes: ``append(_:_:)`` refuses what would pass it.
    let end: UnsafeMutableRawPointer
    let pairs: UnsafeMutablePointer<ph_pair_t>
    var pairIndex = 0

    init(cursor: UnsafeMutableRawPointer, end: UnsafeMutableRawPointer, pairs: UnsafeMutablePointer<ph_pair_t>) {
        self.cursor = cursor
        self.end = end
        self.pairs = pairs
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) -> ph_str_t {
        guard bytes.count > 0, let source = bytes.baseAddress else { return ph_str_t(data: nil, len: 0) }
        let start = cursor
        start.copyMemory(from: source, byteCount: bytes.count)
        cursor += bytes.count
        return ph_str_t(data: start.assumingMemoryBound(to: CChar.self), len: bytes.count)
    }

    mutating func copy(_ string: String) -> ph_str_t {
        // Native strings (and small ones) give their bytes without a copy of their own.
        if let view = string.utf8.withContiguousStorageIfAvailable({ copy(UnsafeRawBufferPointer($0)) }) { return view }
        var string = string
        return string.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    /// False, writing nothing, when the pair's bytes do not fit.
    @discardableResult
    mutating func append(_ name: String, _ value: String) -> Bool {
        guard name.utf8.count + value.utf8.count <= end - cursor else { return false }
        (pairs + pairIndex).initialize(to: ph_pair_t(name: copy(name), value: copy(value)))
        pairIndex += 1
        return true
    }
}

/// The one allocation behind a ``RequestView``: the object with the structs and bytes in its tail
/// (words, so that the `ph_request_t` at the start is aligned).
private final class RequestViewStorage: ManagedBuffer<RequestViewLayout, UInt64> {}

/// What a ``RequestView`` notes about its tail beyond the `ph_request_t` at its start.
package struct RequestViewLayout {
    let hasResponse: Bool
}
