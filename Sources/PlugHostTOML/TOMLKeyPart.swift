/// One part of a (possibly dotted) key, and where it was written.
struct TOMLKeyPart {
    let name: String
    let line: Int
    let column: Int
}

/// Key paths as TOML writes them, for messages: `server.port`, `plugins."my plugin"`.
enum TOMLKeyPath {
    static func text(_ path: [String]) -> String {
        path.map(TOMLText.key).joined(separator: ".")
    }
}
