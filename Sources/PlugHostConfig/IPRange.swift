import Glibc

/// An IP address or CIDR range (`10.0.0.0/8`, `::1`, `fd00::/8`), for trusting proxies.
public struct IPRange: Sendable, Hashable {
    private let network: [UInt8]
    private let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = parts.first, let bytes = IPRange.bytes(of: String(address)) else { return nil }
        let maximum = bytes.count * 8
        // ::ffff:a.b.c.d/N is compared as IPv4 (see bytes(of:)), so its prefix loses the 96 mapped bits.
        let mappedOffset = bytes.count == 4 && address.contains(":") ? 96 : 0
        if parts.count == 2 {
            guard let length = Int(parts[1]).map({ $0 - mappedOffset }), (0...maximum).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = bytes
    }

    /// Whether `address` (textual) falls in this range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = IPRange.bytes(of: address), bytes.count == network.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The address's bytes (4 or 16), or nil if it is not an IP address.
    package static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4 client of a dual-stack listener appears as ::ffff:a.b.c.d; compare it as IPv4.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

/// Works out the client's address: the TCP peer, or — when the peer is a trusted proxy — the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
public struct ClientAddressResolver: Sendable {
    let trusted: [IPRange]

    public init(trustedProxies: [String]) {
        trusted = trustedProxies.compactMap(IPRange.init)
    }

    public func clientAddress(peer: String?, forwardedFor: String?) -> String {
        guard let peer else { return "" }
        guard !trusted.isEmpty, isTrusted(peer), let forwardedFor else { return peer }
        // Walk from the right: each hop was appended by the proxy in front of it.
        let hops = forwardedFor.split(separator: ",").map { String($0.trimmingEnds(where: \.isHorizontalWhitespace)) }
        for hop in hops.reversed() {
            guard IPRange.bytes(of: hop) != nil else { return peer }
            if !isTrusted(hop) { return hop }
        }
        return hops.first ?? peer
    }

    private func isTrusted(_ address: String) -> Bool { trusted.contains { $0.contains(address) } }
}
