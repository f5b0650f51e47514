import PlugHostABI

/// Answers one call. Hand it to any thread and call ``respond(_:)`` exactly once;
/// later calls are ignored by the host and logged there.
public struct Responder: Sendable {
    private let host: HostAPI
    /// The host's call handle: valid until the first respond returns, per the ABI.
    private let call: CallHandle

    struct CallHandle: @unchecked Sendable { let pointer: OpaquePointer }

    init(host: HostAPI, call: OpaquePointer) {
        self.host = host
        self.call = CallHandle(pointer: call)
    }

    /// Sends `response`. The host copies it before this returns.
    @discardableResult
    public func respond(_ response: Response) -> Bool {
        // Names, values and body go into one buffer so a single allocation backs every pointer.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(response.body.count + response.headers.fields.count * 48)
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for field in response.headers {
            let nameStart = bytes.count
            bytes.append(contentsOf: field.name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: field.value.utf8)
            spans.append((nameStart..<valueStart, valueStart..<bytes.count))
        }
        let bodyStart = bytes.count
        bytes.append(contentsOf: response.body)

        let status = bytes.withUnsafeBufferPointer { buffer -> ph_status_t in
            let base = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
            func view(_ range: Range<Int>) -> ph_str_t {
                ph_str_t(data: range.isEmpty ? nil : base.map { $0 + range.lowerBound }, len: range.count)
            }
            let pairs = spans.map { ph_pair_t(name: view($0.name), value: view($0.value)) }
            return pairs.withUnsafeBufferPointer { pairBuffer in
                var answer = ph_response_t(
                    struct_size: UInt32(MemoryLayout<ph_response_t>.size),
                    status: UInt16(clamping: response.status),
                    headers: pairBuffer.baseAddress,
                    header_count: pairBuffer.count,
                    body: view(bodyStart..<buffer.count)
                )
                return host.table.pointee.respond?(call.pointer, &answer) ?? PH_ERR_UNKNOWN_CALL
            }
        }
        return status == PH_OK
    }
}
