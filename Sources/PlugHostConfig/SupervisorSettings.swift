/// `[server] supervise`/`workers` and `[supervisor]`: the master process that owns the listening
/// sockets and runs the host in workers (docs/OPERATIONS.md).
public struct SupervisorSettings: Sendable {
    /// Run a supervisor (`[server] supervise`); false serves from one process, as `--no-supervisor`.
    public var enabled = true
    /// Worker processes (`[server] workers`). One already uses every core; more only contain a
    /// crash to fewer connections.
    public var workers = 1
    /// Crashes within `crashWindow` seconds that make a crash loop (`crash_limit`).
    public var crashLimit = 5
    /// Seconds over which crashes are counted (`crash_window`).
    public var crashWindow: Double = 60
    /// Seconds a new worker has to load its plugins and start listening (`start_timeout`).
    public var startTimeout: Double = 30
    /// Unix socket `plughost reload` talks to, relative to host.toml's directory; "" for none
    /// (`control_socket`). SIGHUP reloads either way.
    public var controlSocket = "plughost.sock"
    /// Longest restart delay of a crash loop no single plugin explains (`max_restart_delay`).
    public var maxRestartDelay: Double = 30
}
