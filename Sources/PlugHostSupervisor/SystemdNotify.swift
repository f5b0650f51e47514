import Foundation

/// Tells systemd what the supervisor is doing, for `Type=notify` units
/// (deploy/systemd/plughost.service): `READY=1` once the first workers serve, `RELOADING=1` when
/// a reload starts and `READY=1` again when it has committed or failed, `STOPPING=1` when it
/// stops. Sent to `$NOTIFY_SOCKET` (sd_notify(3)'s protocol: one datagram per message); without
/// that variable (not under systemd) nothing is sent.
enum SystemdNotify {
    /// The socket systemd listens on: a path, or `@name` in the abstract namespace.
    private static let socketPath = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }

    static func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        // An abstract socket's name starts with a NUL byte where the variable has '@', and its
        // address length counts exactly its bytes (no terminating NUL).
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            if !abstract { raw[path.count] = 0 }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + path.count + (abstract ? 0 : 1))
        let bytes = Array(message.utf8)
        // Best effort, as sd_notify: systemd not listening must not stop the host.
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, length) }
        }
    }
}
