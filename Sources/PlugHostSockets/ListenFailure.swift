import FoundationEssentials
import Glibc
import NIOCore

/// Why the server could not start listening, said so that the operator knows what to change.
public struct ListenFailure: Error, CustomStringConvertible {
    public let description: String

    package static func explain(_ error: any Error, host: String, ports: [Int]) -> any Error {
        // The bind error may arrive wrapped by the service group; its text still names the cause.
        guard let ioError = error as? IOError else {
            let text = "\(error)"
            if text.contains("Permission denied") { return permission(host: host, ports: ports) }
            if text.contains("Address already in use") { return inUse(host: host, ports: ports) }
            return error
        }
        switch ioError.errnoCode {
        case EACCES: return permission(host: host, ports: ports)
        case EADDRINUSE: return inUse(host: host, ports: ports)
        case EADDRNOTAVAIL: return ListenFailure(description: "cannot listen on \(host): this machine has no such address; set [server] host (or --host) to one of its addresses, e.g. 127.0.0.1 or 0.0.0.0")
        default: return error
        }
    }

    private static func permission(host: String, ports: [Int]) -> ListenFailure {
        let privileged = ports.filter { $0 > 0 && $0 < 1024 }.map(String.init).joined(separator: ", ")
        return ListenFailure(description: "cannot listen on \(host) port \(privileged.isEmpty ? ports.map(String.init).joined(separator: ", ") : privileged): permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE; use an unprivileged port instead, e.g. plughost serve --port 8443")
    }

    private static func inUse(host: String, ports: [Int]) -> ListenFailure {
        ListenFailure(description: "cannot listen on \(host) port \(ports.map(String.init).joined(separator: " or ")): the address is already in use by another process; stop it or choose another port with --port")
    }
}
