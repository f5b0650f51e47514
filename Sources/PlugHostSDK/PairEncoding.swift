import PlugHostABI

/// Lays out header pairs and a body in one buffer, so a single allocation backs every pointer
/// the host reads during the call (it copies them before returning).
enum PairEncoding {
    /// A nil value becomes a NULL `value.data` (the ABI's "remove this header"); an empty one a
    /// non-NULL pointer with length 0.
    static func withPairs<Result>(_ pairs: [(name: String, value: String?)], body: [UInt8] = [],
                                  _ use: (UnsafeBufferPointer<ph_pair_t>, ph_str_t) -> Result) -> Result {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count + pairs.count * 48 + 1)
        var spans: [(name: Range<Int>, value: Range<Int>?)] = []
        for pair in pairs {
            let nameStart = bytes.count
            bytes.append(contentsOf: pair.name.utf8)
            let valueStart = bytes.count
            if let value = pair.value { bytes.append(contentsOf: value.utf8) }
            spans.append((nameStart..<valueStart, pair.value == nil ? nil : valueStart..<bytes.count))
        }
        let bodyStart = bytes.count
        bytes.append(contentsOf: body)
        let bodyEnd = bytes.count
        // Never empty, so every present value has a real address even when it is "".
        bytes.append(0)

        return bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            func view(_ range: Range<Int>?) -> ph_str_t {
                guard let range else { return ph_str_t(data: nil, len: 0) }
                return ph_str_t(data: base + range.lowerBound, len: range.count)
            }
            let encoded = spans.map { ph_pair_t(name: view($0.name), value: view($0.value)) }
            return encoded.withUnsafeBufferPointer { use($0, view(bodyStart..<bodyEnd)) }
        }
    }
}
