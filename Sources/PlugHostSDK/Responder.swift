import PlugHostABI

/// Answers one call. Hand it to any thread and call ``respond(_:)`` exactly once;
/// later calls are ignored by the host and logged there.
public struct Responder: Sendable {
    let host: HostAPI
    /// The host's call handle: valid until the first respond returns, per the ABI.
    let call: CallHandle

    struct CallHandle: @unchecked Sendable { let pointer: OpaquePointer }

    init(host: HostAPI, call: OpaquePointer) {
        self.host = host
        self.call = CallHandle(pointer: call)
    }

    /// Sends `response`. The host copies it before this returns.
    @discardableResult
    public func respond(_ response: Response) -> Bool {
        // The headers are encoded from the response's own list, not from a copy of it.
        let headers = response.headers.fields.lazy.map { (name: $0.name, value: Optional($0.value)) }
        let status = PairEncoding.withPairs(headers, body: response.body) { pairs, body in
            var answer = ph_response_t(
                struct_size: UInt32(MemoryLayout<ph_response_t>.size),
                status: UInt16(clamping: response.status),
                headers: pairs.baseAddress,
                header_count: pairs.count,
                body: body
            )
            return host.table.pointee.respond?(call.pointer, &answer) ?? PH_ERR_UNKNOWN_CALL
        }
        return status == PH_OK
    }
}
