import FoundationEssentials
import Glibc
import PlugHostABI

/// A shared library opened for the host, and its two entry points.
///
/// Opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: the Swift runtime keeps
/// pointers into a Swift plugin's metadata, so unloading one crashes the process later.
struct PluginLibrary: @unchecked Sendable {
    // The function pointers are immutable and valid for the life of the process.
    let magic: ph_plugin_magic_fn
    let register: ph_plugin_register_fn
    /// The optional `ph_plugin_shutdown`.
    let shutdown: ph_plugin_shutdown_fn?

    /// Opens `path` and finds both entry points, or explains in the error why it cannot.
    static func open(_ path: String, displayName: String) throws(PluginLoadError) -> PluginLibrary {
        if let problem = ELFPrecheck.problem(in: URL(filePath: path), file: displayName) { throw problem }
        let runtimeWasLoaded = ph_shared_swift_runtime_is_loaded() != 0
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw classify(dlerrorText(), file: displayName)
        }
        // A host with its own static Swift runtime must not run code from a plugin that just pulled in
        // the shared one: refuse before calling anything in it.
        if !runtimeWasLoaded, BuildSignature.host.swiftRuntime == UInt32(PH_RUNTIME_SWIFT_STATIC), ph_shared_swift_runtime_is_loaded() != 0 {
            throw PluginLoadError(
                file: displayName, reason: .incompatibleBuild,
                cause: "it links the shared Swift runtime (libswiftCore.so) but this host carries a static one; two Swift runtimes in one process are unsupported",
                fix: "Build the host without --static-swift-stdlib, or build the plugin in C"
            )
        }
        let magic = try symbol(PH_PLUGIN_MAGIC_SYMBOL, in: handle, file: displayName)
        let register = try symbol(PH_PLUGIN_REGISTER_SYMBOL, in: handle, file: displayName)
        let shutdown = dlsym(handle, PH_PLUGIN_SHUTDOWN_SYMBOL)
        return PluginLibrary(
            magic: unsafeBitCast(magic, to: ph_plugin_magic_fn.self),
            register: unsafeBitCast(register, to: ph_plugin_register_fn.self),
            shutdown: shutdown.map { unsafeBitCast($0, to: ph_plugin_shutdown_fn.self) }
        )
    }

    private static func symbol(_ name: String, in handle: UnsafeMutableRawPointer, file: String) throws(PluginLoadError) -> UnsafeMutableRawPointer {
        _ = dlerror()
        guard let address = dlsym(handle, name) else {
            throw PluginLoadError(
                file: file, reason: .missingEntryPoint,
                cause: "it does not export the symbol '\(name)', so it is not a PlugHost plugin",
                fix: "Export ph_plugin_magic and ph_plugin_register as declared in plughost.h (in Swift: @_cdecl, see docs/PLUGINS.md), or remove the file from the plugins directory"
            )
        }
        return address
    }

    private static func dlerrorText() -> String {
        guard let text = dlerror() else { return "unknown dlopen error" }
        return String(cString: text)
    }

    /// Turns a `dlerror()` text into a cause and a fix a person can act on.
    static func classify(_ text: String, file: String) -> PluginLoadError {
        func error(_ reason: PluginLoadError.Reason, _ cause: String, _ fix: String) -> PluginLoadError {
            PluginLoadError(file: file, reason: reason, cause: "\(cause) (dlopen: \(text))", fix: fix)
        }
        let corrupt = ["file too short", "invalid ELF header", "cannot read file data", "failed to map segment", "ELF load command",
                       "not a dynamic library"]
        if corrupt.contains(where: text.contains) {
            return error(.notASharedLibrary, "it is not a shared library (empty, truncated or another kind of file)",
                         "Build it as a shared library (swift build --product NAME, or cc -shared -fPIC), or remove it from the plugins directory")
        }
        if text.contains("position-independent executable") || text.contains("ET_DYN") {
            return error(.notASharedLibrary, "it is an executable, not a shared library", "Build it with -shared (a .library(type: .dynamic) product in Swift)")
        }
        if text.contains("wrong ELF class") || text.contains("ELF file's phentsize") {
            return error(.incompatibleBuild, "it was built for another architecture", "Build it for \(BuildSignature.host.target)")
        }
        if let range = text.firstRange(of: "undefined symbol: ") {
            let symbol = text[range.upperBound...].prefix { $0 != "," && $0 != " " }
            return error(.undefinedSymbol, "it needs the symbol '\(symbol)', which no loaded library defines",
                         "Link the library that defines it into the plugin; plugins must not expect symbols from the host")
        }
        if text.contains("cannot open shared object file") {
            // dlerror names the object it could not open first: the plugin itself or one of its dependencies.
            let named = text.components(separatedBy: ":").first ?? ""
            let isDependency = !named.isEmpty && URL(filePath: named).lastPathComponent != URL(filePath: file).lastPathComponent
            if isDependency {
                return error(.missingDependency, "it depends on \(named), which cannot be found",
                             "Install that library, or put it where the dynamic linker looks (its rpath, /usr/lib, or LD_LIBRARY_PATH)")
            }
            return error(.notASharedLibrary, "it cannot be opened", "Check that the file exists and is readable by the host's user")
        }
        return error(.notASharedLibrary, "it cannot be loaded", "Check that it is a shared library built for \(BuildSignature.host.target)")
    }
}
