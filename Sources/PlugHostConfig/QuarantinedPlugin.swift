/// A plugin file the supervisor will not let workers load: it crashed them too often.
public struct QuarantinedPlugin: Codable, Sendable, Equatable, Hashable {
    /// File name in the plugins directory.
    public let file: String
    /// The file's content as quarantined; a changed file is loaded again.
    public let sha256: String
    /// The plugin's declared name, when the crashes happened after it was read.
    public let name: String
    /// What happened, for `/api/plugins` and the log.
    public let reason: String

    public init(file: String, sha256: String, name: String, reason: String) {
        self.file = file
        self.sha256 = sha256
        self.name = name
        self.reason = reason
    }
}
