import NIOCore

/// The open connections of each client address, for `[limits] max_connections_per_client`.
/// Kept by the listening socket's handler, on its event loop.
struct ClientConnectionCounts {
    let limit: Int
    private var open: [ClientKey: Int] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection from `client`; false, and nothing counted, if it already has `limit`.
    mutating func admit(_ client: ClientKey) -> Bool {
        let count = open[client, default: 0]
        guard count < limit else { return false }
        open[client] = count + 1
        return true
    }

    mutating func release(_ client: ClientKey) {
        guard let count = open[client] else { return }
        open[client] = count > 1 ? count - 1 : nil
    }

    func openConnections(of client: ClientKey) -> Int { open[client, default: 0] }

    /// What a connection is counted against: its IPv4 address, or its IPv6 address's /64. One
    /// IPv6 subscriber is usually given a whole /64, so counting single IPv6 addresses would let
    /// one client pass for billions. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, a dual-stack
    /// socket's IPv4 client) counts as its IPv4 address.
    struct ClientKey: Hashable {
        private let high: UInt64
        private let low: UInt64

        init?(_ address: SocketAddress) {
            switch address {
            case .v4(let v4):
                high = 0
                low = UInt64(UInt32(bigEndian: v4.address.sin_addr.s_addr))
            case .v6(let v6):
                let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
                let prefix = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let suffix = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                if prefix == 0, suffix >> 32 == 0xFFFF {
                    high = 0
                    low = suffix & 0xFFFF_FFFF
                } else {
                    // A /64 never equals an IPv4 key: its high half is not zero, or it is ::/64 (unused).
                    high = prefix
                    low = 1 << 32
                }
            case .unixDomainSocket:
                return nil
            }
        }
    }
}
