import PlugHostABI

/// Lays out header pairs and a body in one buffer, so a single allocation backs every pointer
/// the host reads during the call (it copies them before returning).
enum PairEncoding {
    /// A nil value becomes a NULL `value.data` (the ABI's "remove this header"); an empty one a
    /// non-NULL pointer with length 0.
    static func withPairs<Result>(_ pairs: some Collection<(name: String, value: String?)>, body: [UInt8] = [],
                                  _ use: (UnsafeBufferPointer<ph_pair_t>, ph_str_t) -> Result) -> Result {
        var byteCount = body.count + 1
        for pair in pairs { byteCount += pair.name.utf8.count + (pair.value?.utf8.count ?? 0) }
        // On the stack when small (most answers): no allocation for the call's strings and pairs.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: byteCount) { bytes in
            withUnsafeTemporaryAllocation(of: ph_pair_t.self, capacity: max(pairs.count, 1)) { encoded in
                var writer = Writer(bytes: bytes.baseAddress!)
                for (index, pair) in pairs.enumerated() {
                    let name = writer.append(pair.name.utf8)
                    // A nil value is NULL; an empty one a real address with length 0.
                    let value = pair.value.map { writer.append($0.utf8) } ?? ph_str_t(data: nil, len: 0)
                    encoded.initializeElement(at: index, to: ph_pair_t(name: name, value: value))
                }
                let bodyView = writer.append(body)
                // Never empty, so every present value has a real address even when it is "".
                writer.cursor.pointee = 0
                return use(UnsafeBufferPointer(rebasing: encoded[0..<pairs.count]), bodyView)
            }
        }
    }

    /// Appends byte strings to the buffer, front to back. A struct rather than a local function
    /// capturing the cursor, whose every access would be checked for exclusivity at run time.
    private struct Writer {
        var cursor: UnsafeMutablePointer<CChar>

        init(bytes: UnsafeMutablePointer<CChar>) { cursor = bytes }

        mutating func append(_ text: some Collection<UInt8>) -> ph_str_t {
            let start = cursor
            // Native strings and arrays are copied as one block; anything else byte by byte.
            let copied = text.withContiguousStorageIfAvailable { source in
                if let base = source.baseAddress, source.count > 0 {
                    UnsafeMutableRawPointer(start).copyMemory(from: base, byteCount: source.count)
                }
                return source.count
            }
            if let copied {
                cursor += copied
            } else {
                for byte in text {
                    cursor.pointee = CChar(bitPattern: byte)
                    cursor += 1
                }
            }
            return ph_str_t(data: start, len: cursor - start)
        }
    }
}
