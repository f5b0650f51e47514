public import Foundation
import TOMLKit

/// Reads and checks host.toml. Every problem is a ``ConfigError`` naming the key and its line.
public enum ConfigLoader {
    /// Loads `path`. When `path` is nil, `./host.toml` is used if it exists, else the defaults.
    public static func load(path: String?) throws(ConfigError) -> HostConfig {
        let explicit = path != nil
        let url = URL(filePath: path ?? "host.toml").standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            if explicit {
                throw ConfigError(file: url.path, line: nil, key: nil, message: "no such file; pass an existing host.toml with --config")
            }
            return HostConfig(baseDirectory: url.deletingLastPathComponent())
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: url.path, line: nil, key: nil, message: "cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        return try parse(text, file: url.path, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses host.toml text; `file` is used in messages only.
    public static func parse(_ text: String, file: String, baseDirectory: URL) throws(ConfigError) -> HostConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: nil, message: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, message: "not valid TOML: \(error)")
        }
        let context = ConfigContext(file: file, lines: TOMLLineIndex(text: text))
        var config = HostConfig(baseDirectory: baseDirectory)
        var top = ConfigTableReader(table: root, path: [], context: context)

        var server = try top.table("server")
        config.server.host = try server.string("host", default: config.server.host)
        if config.server.host.isEmpty { throw server.error("host", "must not be empty; use 127.0.0.1 for local only or 0.0.0.0 for every interface") }
        config.server.port = try server.int("port", default: config.server.port, in: 0...65535)
        config.server.blockingThreads = try server.int("blocking_threads", default: config.server.blockingThreads, in: 1...1024)
        config.server.handlerTimeout = try server.seconds("handler_timeout", default: config.server.handlerTimeout, in: 0.001...3600)
        config.server.maxBodyBytes = try server.int("max_body_size", default: config.server.maxBodyBytes, in: 0...(1 << 34))
        try server.finish()

        var plugins = try top.table("plugins")
        let directory = try plugins.string("dir", default: "plugins")
        config.plugins.directory = resolve(directory, against: baseDirectory)
        config.plugins.strict = try plugins.bool("strict", default: false)
        for name in plugins.remainingKeys {
            guard let table = plugins.take(name)?.table else {
                throw plugins.error(name, "unknown key in [plugins]; it accepts dir, strict, and one [plugins.NAME] table per plugin")
            }
            config.plugins.settingsJSON[name] = table.convert(to: .json)
        }
        try plugins.finish()
        try top.finish()
        return config
    }

    /// Resolves a path from host.toml: absolute as it is, relative against the config file's directory.
    public static func resolve(_ path: String, against base: URL) -> URL {
        path.hasPrefix("/") ? URL(filePath: path).standardizedFileURL : base.appending(path: path).standardizedFileURL
    }
}
