import FoundationEssentials
import Glibc
import Logging

/// Every open connection is a file descriptor, and a process often starts with a soft limit of
/// 1024 (systemd's default) far below `[limits] max_connections`: past it `accept` fails and the
/// listener backs off, so the server silently holds fewer connections than configured. The
/// process serving connections raises its soft limit to the hard one, as Go's runtime and
/// nginx's `worker_rlimit_nofile` do, and says so if that is still too low.
enum DescriptorLimit {
    /// Descriptors beyond the connections: listening sockets, plugins' files, logs, the worker link.
    static let reserve: UInt64 = 64

    /// Raises the soft RLIMIT_NOFILE to the hard one; warns if it stays below what
    /// `maxConnections` connections need.
    static func raise(for maxConnections: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let needed = UInt64(maxConnections) + reserve
        if limit.rlim_cur != rlim_t.max, UInt64(limit.rlim_cur) < needed {
            logger.warning("""
                the open-file limit is \(limit.rlim_cur) descriptors (hard limit \(limit.rlim_max)), fewer than the \(needed) \
                that [limits] max_connections = \(maxConnections) needs; connections past it wait until others close. \
                Raise it (ulimit -n, or LimitNOFILE= in a systemd unit) or lower max_connections
                """)
        }
    }
}
