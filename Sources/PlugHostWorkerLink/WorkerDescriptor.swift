/// Where a worker finds what the supervisor hands it: fixed descriptor numbers, the same in both.
public enum WorkerDescriptor {
    /// A Unix stream socket: worker → supervisor messages (one JSON line each); end of file on the
    /// worker's side means the supervisor is gone.
    public static let control: Int32 = 3
    /// The crash record (plughost_process.h).
    public static let crashRecord: Int32 = 4
    /// A pipe: the worker's `[logging] file` lines, written to the file by the supervisor alone, so
    /// that one process rotates it.
    public static let logFile: Int32 = 5
    /// The listening socket.
    public static let listener: Int32 = 6
    /// The plain-HTTP redirect socket, when `[server] http_port` is set.
    public static let redirectListener: Int32 = 7
}
