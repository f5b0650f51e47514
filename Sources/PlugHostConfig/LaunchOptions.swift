/// How `plughost serve` was asked to run: host.toml's path and the command line's overrides.
/// The supervisor re-reads host.toml with the same overrides at each reload, and hands them to
/// its workers.
public struct LaunchOptions: Sendable {
    public var configPath: String?
    public var host: String?
    public var port: Int?
    public var logLevel: String?

    public init(configPath: String?, host: String?, port: Int?, logLevel: String?) {
        self.configPath = configPath
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }

    /// host.toml with the command line's overrides applied.
    public func loadConfig() throws -> HostConfig {
        var config = try ConfigLoader.load(path: configPath)
        if let host { config.server.host = host }
        if let port { config.server.port = port }
        return config
    }
}
