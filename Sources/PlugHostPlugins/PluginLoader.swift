import Crypto
public import FoundationEssentials
import Glibc
public import Logging
package import PlugHostABI
public import PlugHostConfig

/// A plugin that loaded and registered its routes.
public struct LoadedPlugin: @unchecked Sendable {
    // `shutdownHook` points into a library that is never unloaded; `handle` is the plugin's record,
    // retained for the life of the process.
    public let file: String
    public let path: String
    public let name: String
    public let version: String
    public let description: String
    public let abiMajor: Int
    public let abiMinor: Int
    public let build: BuildSignature
    public let sha256: String
    public let routes: [PluginRoute]
    /// The plugin's OpenAPI Components object as JSON, if it gave one (ABI 1.3).
    public let openAPIComponents: String?
    /// Why the plugin's components were refused at registration, if they were.
    package let openAPIComponentsProblem: String?
    public let middlewares: [PluginMiddleware]
    package let shutdownHook: ph_plugin_shutdown_fn?
    let handle: OpaquePointer
    /// Its entry in the worker's crash record.
    let recordIndex: Int32

    /// Calls the plugin's `ph_plugin_shutdown`, if it has one.
    package func shutdown() {
        guard let shutdownHook else { return }
        CrashRecord.running(recordIndex, "shutdown hook") { shutdownHook(handle) }
    }
}

/// What loading a plugins directory produced: the plugins that serve, and why the others do not.
public struct PluginLoadReport: Sendable {
    public var loaded: [LoadedPlugin] = []
    public var failures: [PluginLoadError] = []
    /// Problems that refuse no plugin but deserve attention, e.g. a missing plugins directory.
    public var warnings: [String] = []
    /// SHA-256 of every file looked at, refused ones included, by file name.
    public var fileHashes: [String: String] = [:]

    public init() {}
}

/// Where a host takes its plugins from.
public enum PluginSource: Sendable {
    /// Every `.so` in the directory, in name order: `serve` and `check`, from `[plugins] dir`.
    case directory(URL)
    /// These files, in this order: `plughost plugins test` and the test kit.
    case files([URL])
    /// Plugins linked into this process (the test kit, for a Swift plugin type).
    case linked([LinkedPlugin])
}

/// A plugin's entry points in this process, as a file's would be found by `dlsym`.
public struct LinkedPlugin: @unchecked Sendable {
    // C function pointers: immutable, valid for the life of the process.
    public let displayName: String
    let magic: ph_plugin_magic_fn
    let register: ph_plugin_register_fn
    let shutdown: ph_plugin_shutdown_fn?

    /// `displayName` stands where a file name would in messages (e.g. `Greeter (linked)`).
    package init(displayName: String, magic: ph_plugin_magic_fn, register: ph_plugin_register_fn, shutdown: ph_plugin_shutdown_fn?) {
        self.displayName = displayName
        self.magic = magic
        self.register = register
        self.shutdown = shutdown
    }
}

/// Loads plugin files: checks each one's magic block and build, lets it register its routes,
/// and keeps only plugins whose every route could be served.
public struct PluginLoader: Sendable {
    public let registry: RouteRegistry
    let settingsJSON: @Sendable (String) -> String
    let logger: Logger
    let allowInsecurePermissions: Bool
    let pinnedHashes: [String: String]
    let quarantined: [QuarantinedPlugin]
    /// Files refused without being opened, by file name: `plughost check` names here each plugin
    /// whose loading ended its loader process, and loads the others again.
    let refusedUnopened: [String: PluginLoadError]

    /// Every `.so` directly in `directory`, sorted by name (PlugHost runs on Linux only).
    public static func pluginFiles(in directory: URL) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(".so") && !$0.hasPrefix(".") }.sorted().map { directory.appending(path: $0) }
    }

    public init(registry: RouteRegistry, settings: PluginSettings, logger: Logger, refusing refusals: [PluginLoadError] = []) {
        self.refusedUnopened = Dictionary(refusals.map { ($0.file, $0) }) { first, _ in first }
        self.registry = registry
        let json = settings.settingsJSON
        self.settingsJSON = { json[$0] ?? "{}" }
        self.logger = logger
        self.allowInsecurePermissions = settings.allowInsecurePermissions
        self.pinnedHashes = settings.pinnedHashes
        self.quarantined = settings.quarantined
    }

    /// Loads what `source` names: a plugins directory (`serve`), chosen files, or plugins
    /// linked into this process (the test kit).
    public func load(_ source: PluginSource) -> PluginLoadReport {
        switch source {
        case .directory(let directory):
            return loadDirectory(directory)
        case .files(let files):
            return loadFiles(files)
        case .linked(let plugins):
            var report = PluginLoadReport()
            for plugin in plugins {
                do {
                    report.loaded.append(try load(plugin, alreadyLoaded: report.loaded))
                } catch {
                    report.failures.append(error)
                }
            }
            return report
        }
    }

    /// Loads every plugin file in `directory`; a missing directory is logged and loads nothing.
    public func loadDirectory(_ directory: URL) -> PluginLoadReport {
        var report = PluginLoadReport()
        let files: [URL]
        do {
            files = try Self.pluginFiles(in: directory)
        } catch {
            let warning = "plugins directory \(directory.path) cannot be read (\(fileErrorDescription(error))); serving no plugins. Create it or set [plugins] dir in host.toml."
            logger.warning("\(warning)")
            report.warnings.append(warning)
            return report
        }
        for file in files {
            report.fileHashes[file.lastPathComponent] = try? Self.sha256(of: file)
        }
        if !allowInsecurePermissions, let problem = PluginFileTrust.problem(with: directory.path, isDirectory: true) {
            let warning = "refusing every plugin: \(problem.cause). \(problem.fix), or set [plugins] allow_insecure_permissions = true for development."
            for file in files {
                report.failures.append(PluginLoadError(file: file.lastPathComponent, reason: .insecurePermissions, cause: problem.cause,
                                                       fix: "\(problem.fix), or set [plugins] allow_insecure_permissions = true for development"))
            }
            logger.error("\(warning)")
            return report
        }
        return loadFiles(files, into: report)
    }

    /// Loads `files` in the order given, as the plugins directory's would be (`plugins test`, the
    /// test kit): each file's own trust checks apply, its directory's do not.
    public func loadFiles(_ files: [URL], into report: PluginLoadReport = PluginLoadReport()) -> PluginLoadReport {
        var report = report
        for file in files {
            let name = file.lastPathComponent
            if report.fileHashes[name] == nil { report.fileHashes[name] = try? Self.sha256(of: file) }
            do {
                report.loaded.append(try load(file, sha256: report.fileHashes[name], alreadyLoaded: report.loaded))
            } catch {
                report.failures.append(error)
            }
        }
        return report
    }

    /// Loads one file. Throws the precise reason it cannot be served.
    /// `sha256`: the file's hash if already computed; it is taken before dlopen either way, so the
    /// hash shown and pinned is of the bytes checked, not of whatever the path holds later.
    public func load(_ url: URL, sha256 known: String? = nil, alreadyLoaded: [LoadedPlugin] = []) throws(PluginLoadError) -> LoadedPlugin {
        let file = url.lastPathComponent
        if let refusal = refusedUnopened[file] { throw refusal }
        let sha256 = known ?? (try? Self.sha256(of: url)) ?? "unreadable"
        if let quarantine = quarantined.first(where: { $0.file == file && $0.sha256 == sha256 }) {
            throw PluginLoadError(file: file, reason: .quarantined, cause: "the supervisor quarantined it: \(quarantine.reason)",
                                  fix: "Fix the plugin and replace the file, then run plughost reload")
        }
        if !allowInsecurePermissions, let problem = PluginFileTrust.problem(with: url.path, isDirectory: false) {
            throw PluginLoadError(file: file, reason: .insecurePermissions, cause: problem.cause,
                                  fix: "\(problem.fix), or set [plugins] allow_insecure_permissions = true for development")
        }
        // From dlopen (the library's constructors run) to the end of registration, a crash is this plugin's.
        let recordIndex = CrashRecord.addPlugin(file: file, sha256: sha256)
        return try CrashRecord.running(recordIndex, "loading \(file)") { () throws(PluginLoadError) -> LoadedPlugin in
            try register(url, file: file, sha256: sha256, recordIndex: recordIndex, alreadyLoaded: alreadyLoaded)
        }
    }

    /// Loads a plugin linked into this process (the test kit's `TestHost(plugin:)`): no file to
    /// open, the rest as for a file, from its magic block on.
    public func load(_ plugin: LinkedPlugin, alreadyLoaded: [LoadedPlugin] = []) throws(PluginLoadError) -> LoadedPlugin {
        let recordIndex = CrashRecord.addPlugin(file: plugin.displayName, sha256: "linked")
        let library = PluginLibrary(magic: plugin.magic, register: plugin.register, shutdown: plugin.shutdown)
        return try CrashRecord.running(recordIndex, "loading \(plugin.displayName)") { () throws(PluginLoadError) -> LoadedPlugin in
            try register(library, path: plugin.displayName, file: plugin.displayName, sha256: "linked", recordIndex: recordIndex, alreadyLoaded: alreadyLoaded)
        }
    }

    private func register(_ url: URL, file: String, sha256: String, recordIndex: Int32, alreadyLoaded: [LoadedPlugin]) throws(PluginLoadError) -> LoadedPlugin {
        let library = try PluginLibrary.open(url.path, displayName: file)
        return try register(library, path: url.path, file: file, sha256: sha256, recordIndex: recordIndex, alreadyLoaded: alreadyLoaded)
    }

    private func register(_ library: PluginLibrary, path: String, file: String, sha256: String, recordIndex: Int32,
                          alreadyLoaded: [LoadedPlugin]) throws(PluginLoadError) -> LoadedPlugin {
        let magic = try MagicBlock.read(library.magic, file: file)
        CrashRecord.setName(recordIndex, magic.name)
        if let pinned = pinnedHashes[magic.name] {
            // The pin is found by the name in the magic block, so dlopen (the library's constructors)
            // and ph_plugin_magic have run by now; the permission check above is what keeps
            // strangers' code out, the pin keeps the wrong build out before it registers anything.
            guard sha256 == pinned else {
                throw PluginLoadError(file: file, reason: .hashMismatch,
                                      cause: "its SHA-256 is \(sha256), but [plugins.\(magic.name)] sha256 pins \(pinned)",
                                      fix: "Install the pinned build, or update the pin after checking the new file")
            }
        }
        if let other = alreadyLoaded.first(where: { $0.name == magic.name }) {
            throw PluginLoadError(file: file, reason: .duplicatePluginName,
                                  cause: "its name '\(magic.name)' is already taken by \(other.file)",
                                  fix: "Keep only one of the two files in the plugins directory")
        }

        let record = PluginRecord(name: magic.name, file: file, abiMinor: magic.abiMinor, recordIndex: recordIndex, configJSON: settingsJSON(magic.name), registry: registry, logger: logger)
        // The record outlives this function: the plugin may keep its handle forever.
        _ = Unmanaged.passRetained(record)
        let status = library.register(HostFunctionTable.pointer, record.handle)
        let registration = record.close()
        // A refused route is the root cause even when the plugin then reports a failure of its own.
        if let problem = registration.routeProblem { throw problem }
        if status != PH_OK {
            let message = registration.pluginError ?? "no message (it returned status \(status) without calling set_error)"
            throw PluginLoadError(file: file, reason: .registrationFailed, cause: "its registration failed: \(message)",
                                  fix: "Fix the cause the plugin names, e.g. its [plugins.\(magic.name)] table in host.toml")
        }
        if let clash = registry.commit(registration.routes, middlewares: registration.middlewares) {
            throw PluginLoadError(file: file, reason: .duplicateRoute,
                                  cause: "route \(clash.route.method) \(clash.route.servedPath) is already registered by \(clash.owner)",
                                  fix: "Remove one of the two plugins, or change one plugin's path")
        }
        return LoadedPlugin(
            file: file, path: path, name: magic.name, version: magic.version, description: magic.description,
            abiMajor: magic.abiMajor, abiMinor: magic.abiMinor, build: magic.build,
            sha256: sha256, routes: registration.routes, openAPIComponents: registration.openAPIComponents,
            openAPIComponentsProblem: registration.openAPIComponentsProblem,
            middlewares: registration.middlewares,
            shutdownHook: library.shutdown, handle: record.handle, recordIndex: recordIndex
        )
    }

    /// SHA-256 of a file, as lower-case hex.
    public static func sha256(of url: URL) throws -> String {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        return HexDigest.text(SHA256.hash(data: data))
    }
}
