import Glibc
import NIOCore

/// The text of a peer's IP address, as `SocketAddress.ipAddress` gives it, for the request log.
/// That getter formats the address afresh each time (a buffer and a string per request); the
/// requests of one connection, and on a proxy's or a benchmark's connections of many, come from
/// the same address. So each thread keeps the last IPv4 address it formatted with its text.
enum PeerAddressText {
    static func of(_ address: SocketAddress?) -> String? {
        guard case .v4(let v4)? = address else { return address?.ipAddress }
        let bits = v4.address.sin_addr.s_addr
        let cache = LastAddress.current
        if cache.bits != bits || cache.text == nil {
            cache.bits = bits
            cache.text = address?.ipAddress
        }
        return cache.text
    }

    /// One per thread: no lock.
    private final class LastAddress {
        var bits: in_addr_t = 0
        var text: String?

        static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key) { pointer in pointer.map { Unmanaged<LastAddress>.fromOpaque($0).release() } }
            return key
        }()

        static var current: LastAddress {
            if let existing = pthread_getspecific(key) { return Unmanaged<LastAddress>.fromOpaque(existing).takeUnretainedValue() }
            let created = LastAddress()
            pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
            return created
        }
    }
}
