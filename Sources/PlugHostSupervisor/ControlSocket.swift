import Foundation
import PlugHostProcess
import PlugHostThreads
import PlugHostWorkerLink

/// The supervisor's Unix socket: `plughost reload` and `plughost status` connect, send one command
/// line, and read the answer until the supervisor closes the connection.
final class ControlSocket: Sendable {
    let path: String
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Binds `path`, replacing a stale socket file but never a live supervisor's.
    init(path: String) throws {
        guard path.utf8.count <= Self.maxPathLength else {
            throw Failure(description: "the control socket path \(path) is longer than the \(Self.maxPathLength) bytes a Unix socket path may have; set [supervisor] control_socket to a shorter (absolute) path")
        }
        if let running = ControlSocket.connect(path) {
            Glibc.close(running)
            throw Failure(description: "another plughost supervisor answers on \(path); stop it first, or set [supervisor] control_socket to another path")
        }
        // Only a socket is ever replaced: a control_socket that names host.toml must not delete it.
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else {
                throw Failure(description: "\(path) exists and is not a socket; set [supervisor] control_socket to a path of its own")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot make the control socket: \(String(cString: strerror(errno)))") }
        // Created 0600 from the start (bind applies the umask): no moment in which another user
        // could connect. The supervisor makes no other file meanwhile.
        let previousMask = umask(0o177)
        let bound = ControlSocket.withAddress(path) { address, length in bind(fd, address, length) }
        umask(previousMask)
        guard bound == 0, listen(fd, 8) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "cannot listen on the control socket \(path) ([supervisor] control_socket): \(message)")
        }
        self.path = path
        descriptor = fd
    }

    /// Accepts connections on a thread of its own and hands each command to `handle`.
    func serve(_ handle: @escaping @Sendable (String, ControlConnection) -> Void) {
        let descriptor = descriptor
        OSThread.start(name: "plughost-control") {
            while true {
                let client = ph_accept_cloexec(descriptor)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var bytes = [UInt8]()
                var byte: UInt8 = 0
                while bytes.count < 256, read(client, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
                handle(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces), ControlConnection(descriptor: client))
            }
        }
    }

    /// Stops accepting and removes the socket file.
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
        unlink(path)
    }

    /// A connected client descriptor, or nil when nothing answers at `path`.
    /// sockaddr_un's path field, less its terminating NUL.
    static let maxPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    static func connect(_ path: String) -> Int32? {
        guard path.utf8.count <= maxPathLength else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let connected = withAddress(path) { address, length in Glibc.connect(fd, address, length) }
        guard connected == 0 else {
            Glibc.close(fd)
            return nil
        }
        return fd
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

/// One client of the control socket; the supervisor answers it line by line, then closes it.
struct ControlConnection: Sendable {
    let descriptor: Int32

    func send(_ line: String) {
        var text = line + "\n"
        // MSG_NOSIGNAL: a client that hung up costs this write, not a SIGPIPE.
        text.withUTF8 { bytes in _ = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    func close() {
        Glibc.close(descriptor)
    }
}

/// `plughost reload` and `plughost status`: sends `command` to the supervisor at `path` and
/// returns its answer, line by line.
public enum ControlClient {
    public struct Unreachable: Error, CustomStringConvertible {
        public let description: String
    }

    public static func send(_ command: String, to path: String, onLine: (String) -> Void) throws {
        guard let fd = ControlSocket.connect(path) else {
            throw Unreachable(description: "no plughost supervisor answers at \(path): is `plughost serve` running with this host.toml (and not --no-supervisor)? Without the control socket, send SIGHUP to the supervisor's pid instead")
        }
        defer { close(fd) }
        var line = command + "\n"
        line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
        DescriptorReader.forEachLine(of: fd) { onLine(String($0)) }
    }
}
