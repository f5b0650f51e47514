package import PlugHostABI

/// The `ph_request_t` a handler or hook receives, with every string it points to, in one
/// allocation; for a response hook also the `ph_response_view_t`.
///
/// Immutable after init and freed in deinit. The call table keeps the view alive until the
/// plugin's respond() has returned, which is exactly the lifetime the ABI promises.
package final class RequestView: @unchecked Sendable {
    package let request: UnsafePointer<ph_request_t>
    /// Set when `Fields.response` was.
    package let response: UnsafePointer<ph_response_view_t>?
    private let storage: UnsafeMutableRawPointer

    package struct Fields {
        var method: String
        var path: String
        var route: String
        var query: String
        var parameters: [(String, String)]
        var headers: [(String, String)]
        var clientAddress: String
        var keyName: String
        /// The answer so far, for a response hook.
        package var response: (status: Int, headers: [(String, String)])?

        package init(method: String, path: String, route: String, query: String, parameters: [(String, String)],
                     headers: [(String, String)], clientAddress: String, keyName: String,
                     response: (status: Int, headers: [(String, String)])? = nil) {
            self.method = method
            self.path = path
            self.route = route
            self.query = query
            self.parameters = parameters
            self.headers = headers
            self.clientAddress = clientAddress
            self.keyName = keyName
            self.response = response
        }
    }

    /// Copies `fields` and `body` (a contiguous buffer, e.g. a collected ByteBuffer) into one block.
    package init(_ fields: Fields, body: UnsafeRawBufferPointer) {
        let responseHeaders = fields.response?.headers ?? []
        let pairCount = fields.parameters.count + fields.headers.count + responseHeaders.count
        var textBytes = body.count + fields.method.utf8.count + fields.path.utf8.count + fields.route.utf8.count
            + fields.query.utf8.count + fields.clientAddress.utf8.count + fields.keyName.utf8.count
        // Parameters, then request headers, then response headers: without joining the lists.
        func forEachPair(_ body: (String, String) -> Void) {
            for (name, value) in fields.parameters { body(name, value) }
            for (name, value) in fields.headers { body(name, value) }
            for (name, value) in responseHeaders { body(name, value) }
        }
        forEachPair { name, value in textBytes += name.utf8.count + value.utf8.count }

        let requestSize = MemoryLayout<ph_request_t>.stride
        let responseOffset = requestSize
        let pairsOffset = responseOffset + (fields.response == nil ? 0 : MemoryLayout<ph_response_view_t>.stride)
        let textOffset = pairsOffset + pairCount * MemoryLayout<ph_pair_t>.stride
        storage = .allocate(byteCount: max(textOffset + textBytes, 1), alignment: MemoryLayout<ph_request_t>.alignment)

        var cursor = storage + textOffset
        func copy(_ bytes: UnsafeRawBufferPointer) -> ph_str_t {
            guard bytes.count > 0, let base = bytes.baseAddress else { return ph_str_t(data: nil, len: 0) }
            cursor.copyMemory(from: base, byteCount: bytes.count)
            defer { cursor += bytes.count }
            return ph_str_t(data: cursor.assumingMemoryBound(to: CChar.self), len: bytes.count)
        }
        func copy(_ string: String) -> ph_str_t {
            // Native strings (and small ones) give their bytes without a copy of their own.
            if let view = string.utf8.withContiguousStorageIfAvailable({ copy(UnsafeRawBufferPointer($0)) }) { return view }
            var string = string
            return string.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
        }

        let pairs = (storage + pairsOffset).bindMemory(to: ph_pair_t.self, capacity: pairCount)
        var pairIndex = 0
        forEachPair { name, value in
            (pairs + pairIndex).initialize(to: ph_pair_t(name: copy(name), value: copy(value)))
            pairIndex += 1
        }
        let request = storage.bindMemory(to: ph_request_t.self, capacity: 1)
        request.initialize(to: ph_request_t(
            struct_size: UInt32(MemoryLayout<ph_request_t>.size),
            method: copy(fields.method),
            path: copy(fields.path),
            route: copy(fields.route),
            query: copy(fields.query),
            params: fields.parameters.isEmpty ? nil : UnsafePointer(pairs),
            param_count: fields.parameters.count,
            headers: fields.headers.isEmpty ? nil : UnsafePointer(pairs + fields.parameters.count),
            header_count: fields.headers.count,
            body: copy(body),
            client_address: copy(fields.clientAddress),
            key_name: copy(fields.keyName)
        ))
        self.request = UnsafePointer(request)
        if let answer = fields.response {
            let view = (storage + responseOffset).bindMemory(to: ph_response_view_t.self, capacity: 1)
            view.initialize(to: ph_response_view_t(
                struct_size: UInt32(MemoryLayout<ph_response_view_t>.size),
                status: UInt16(clamping: answer.status),
                headers: responseHeaders.isEmpty ? nil : UnsafePointer(pairs + fields.parameters.count + fields.headers.count),
                header_count: responseHeaders.count
            ))
            response = UnsafePointer(view)
        } else {
            response = nil
        }
    }

    deinit {
        storage.deallocate()
    }
}
