import FoundationEssentials
import Glibc
import NIOCore

/// A TCP socket bound and listening, held as a plain descriptor: the supervisor binds it once and
/// every worker it starts serves the same socket, so connections wait in the kernel's queue, never
/// refused, while one worker replaces another. A single-process host binds its own the same way.
public struct ListeningSocket: Sendable {
    public let descriptor: Int32
    /// The port actually bound (the one the kernel chose when 0 was asked for).
    public let port: Int

    /// Connections the kernel queues before one is accepted (Linux caps it at
    /// net.core.somaxconn, 4096 by default since 5.4). The queue is what carries clients over a
    /// worker restart, and what absorbs a burst of connections: nginx's 511 overflowed under a
    /// flood of connections from one client (refused at once, but each must be accepted first),
    /// and a handshake the kernel drops costs any client, not only the flooding one, a 1 s
    /// retransmission.
    package static let backlog: Int32 = 4096

    /// Binds `host`:`port` (0 for any free port) and listens. The descriptor is close-on-exec: it
    /// reaches a worker only when handed over explicitly. Errors are `IOError`s with the errno,
    /// which ``ListenFailure`` turns into advice.
    public static func bind(host: String, port: Int) throws -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw ListenFailure(description: "cannot listen on \(host): the name does not resolve (\(String(cString: gai_strerror(status)))); set [server] host (or --host) to an address such as 127.0.0.1 or 0.0.0.0")
        }
        defer { freeaddrinfo(first) }
        var lastError = IOError(errnoCode: EADDRNOTAVAIL, reason: "bind")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = IOError(errnoCode: errno, reason: "socket")
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = IOError(errnoCode: errno, reason: "bind")
                Glibc.close(fd)
                continue
            }
            guard listen(fd, backlog) == 0 else {
                lastError = IOError(errnoCode: errno, reason: "listen")
                Glibc.close(fd)
                continue
            }
            return ListeningSocket(descriptor: fd, port: boundPort(fd))
        }
        throw lastError
    }

    /// A socket inherited from the supervisor at `descriptor`; checked to be a listening TCP socket.
    public static func inherited(_ descriptor: Int32) throws -> ListeningSocket {
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else {
            throw ListenFailure(description: "descriptor \(descriptor) is not a listening socket; a worker is started by plughost serve, not by hand")
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return ListeningSocket(descriptor: descriptor, port: boundPort(descriptor))
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard found == 0 else { return 0 }
        return withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: 0
            }
        }
    }

    /// Closes this process's copy; other processes holding the socket keep it listening.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}
