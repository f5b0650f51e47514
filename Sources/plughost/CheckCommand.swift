import ArgumentParser
import Foundation
import Logging
import PlugHostConfig
import PlugHostKeys
import PlugHostPlugins
import PlugHostRedis
import PlugHostSupervisor
import PlugHostWorker

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate host.toml and load every plugin without serving. Exit 0 when all is well."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        // A directory that is not there is a wrong [plugins] dir (or a check run from the wrong
        // place), not a host without plugins: `serve` would start with none.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: config.plugins.directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("configuration error: the plugins directory \(config.plugins.directory.path) does not exist ([plugins] dir); create it, or set [plugins] dir in host.toml")
            throw ExitCode(2)
        }
        print("configuration: ok (\(config.plugins.directory.path))")
        try await checkKeys(config)
        try await checkRateLimitStore(config)
        let status = try loadPluginsInLoaderProcess(timeLimit: config.supervisor.startTimeout)
        if status != 0 { throw ExitCode(status) }
    }

    /// The keys the host would start with: the key file read and checked, or the Redis store
    /// reached (TLS, AUTH, database) and its records read, as a host's first poll does.
    private func checkKeys(_ config: HostConfig) async throws {
        let environmentHash = KeyStore.environmentHash(dotenv: config.resolve(config.auth.envFile))
        do {
            if config.auth.redisStore != nil {
                let keys = try KeyStore(environmentHash: environmentHash, logger: quietLogger())
                let records = options.keyRecords(config)
                keys.replace(with: try await keyStoreStep(records) { try await records.all() })
                print("api keys: ok (\(keys.keyCount) in \(records.location))")
            } else {
                let keys = try KeyStore(file: KeyFile(url: config.resolve(config.auth.keysFile)), environmentHash: environmentHash, logger: quietLogger())
                print("api keys: ok (\(keys.keyCount))")
            }
        } catch let error as ConfigError {
            printError("key file error: \(error)")
            throw ExitCode(2)
        }
    }

    /// A Redis rate-limit store answers PING through the URL's TLS, user and database.
    private func checkRateLimitStore(_ config: HostConfig) async throws {
        guard config.rateLimit.enabled, let url = RedisURL(config.rateLimit.store) else { return }
        let client = RESPClient(url: url, caFile: config.redisCAFile, timeout: max(config.rateLimit.storeTimeout, 1), purpose: "[rate_limit] store")
        defer { client.close() }
        do {
            let reply = try await client.send(["PING"])
            if case .error(let message) = reply { throw RESPError(message: "Redis refused PING: \(message)") }
            print("rate-limit store: ok (\(url.redacted))")
        } catch {
            printError("rate-limit store error (\(url.redacted)): \(error)")
            throw ExitCode(2)
        }
    }

    /// Runs `plughost check-loader` (``CheckLoaderCommand``), which loads the plugins and prints the
    /// rest of the report, in a process of its own: a plugin that crashes it, exits or does not
    /// return within `timeLimit` is refused by name, and the others are loaded again without it.
    /// Returns the loader's exit status.
    private func loadPluginsInLoaderProcess(timeLimit: Double) throws -> Int32 {
        var refusals: [PluginLoadError] = []
        while true {
            fflush(nil)  // this process's lines first (every stream: `stdout` is shared mutable state to Swift)
            var arguments = ["check-loader", "--refuse", String(decoding: try JSONEncoder().encode(refusals), as: UTF8.self)]
            if let path = options.config { arguments += ["--config", path] }
            switch try LoaderProcess.run(arguments, timeLimit: timeLimit) {
            case .finished(let status):
                return status
            case .ended(let report, let culprit, let timedOut):
                let limit = "\(timeLimit) s ([supervisor] start_timeout)"
                guard let culprit, !refusals.contains(where: { $0.file == culprit.file }) else {
                    printError(timedOut ? "the plugins did not load within \(limit), and no single plugin was loading: it \(report)"
                                        : "the process loading the plugins ended, and no plugin's code explains it: it \(report)")
                    return 1
                }
                refusals.append(PluginLoadError(
                    file: culprit.file, reason: .loadingDidNotReturn,
                    cause: timedOut ? "its loading did not return within \(limit)" : "its loading ended the process loading it: it \(report)",
                    fix: "A plugin must return from its initialisers and from ph_plugin_register, and never end the process; fix it, or remove it from the plugins directory"
                ))
            }
        }
    }
}

/// Plugin log lines would drown the report of `check` and `inspect`; only errors are shown.
func quietLogger() -> Logger {
    var logger = Logger(label: "plughost", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .error
    return logger
}
