import FoundationEssentials
import Glibc
import PlugHostABI
import Synchronization

/// A plugin written in Swift: its identity and the routes it registers.
///
/// Conform a type to it and export the two C entry points the host looks for;
/// everything else — the magic block, pointer handling, answering — is done here.
///
/// ```swift
/// enum Greeter: PlugHostPlugin {
///     static let name = "greeter"
///     static let version = "1.0.0"
///     static func register(_ plugin: PluginRegistrar) throws {
///         plugin.get("/hello", options: .nonBlocking) { _ in .json(["message": "Hello"]) }
///     }
/// }
///
/// @_cdecl("ph_plugin_magic")
/// public func pluginMagic() -> OpaquePointer { Greeter.magic }
///
/// @_cdecl("ph_plugin_register")
/// public func pluginRegister(_ api: OpaquePointer?, _ plugin: OpaquePointer?) -> Int32 {
///     Greeter.register(api: api, plugin: plugin)
/// }
/// ```
public protocol PlugHostPlugin {
    /// Unique short name (`[a-z0-9_-]+`); selects the `[plugins.NAME]` table of host.toml.
    static var name: String { get }
    /// The plugin's own version, shown in listings.
    static var version: String { get }
    /// One line for listings and docs.
    static var description: String { get }
    /// Registers routes. Throwing refuses the whole plugin; the host shows the error's description.
    static func register(_ plugin: PluginRegistrar) throws
    /// Called once at graceful shutdown, after the last request; export it as `ph_plugin_shutdown`
    /// (see ``shutdown(plugin:)``) for the host to find it. Default: nothing.
    static func shutdown()
}

extension PlugHostPlugin {
    public static var description: String { "" }
    public static func shutdown() {}

    /// The body of an optional `ph_plugin_shutdown` export:
    /// ```swift
    /// @_cdecl("ph_plugin_shutdown")
    /// public func pluginShutdown(_ plugin: OpaquePointer?) { Greeter.shutdown(plugin: plugin) }
    /// ```
    public static func shutdown(plugin: OpaquePointer?) {
        shutdown()
    }

    /// The magic block to return from `ph_plugin_magic`. Built once and kept for the life of the process,
    /// as the ABI requires of it.
    public static var magic: OpaquePointer {
        MagicBlocks.shared.block(for: Self.self)
    }

    /// The body of `ph_plugin_register`: runs ``register(_:)`` and reports its outcome to the host.
    public static func register(api: OpaquePointer?, plugin: OpaquePointer?) -> Int32 {
        guard let api, let plugin else { return PH_ERR_INVALID_ARGUMENT }
        let host = HostAPI(table: UnsafePointer<ph_host_api_t>(api), plugin: plugin)
        let registrar = PluginRegistrar(host: host)
        do {
            try register(registrar)
            return PH_OK
        } catch {
            host.setError(String(describing: error))
            return PH_ERR_REGISTRATION_FAILED
        }
    }
}

/// Magic blocks by plugin type. Each is allocated once and never freed: the host may keep pointers into it.
private final class MagicBlocks: Sendable {
    static let shared = MagicBlocks()

    /// Holds raw pointers, which are not Sendable; they point to immutable memory that is never freed.
    private struct Block: @unchecked Sendable { let pointer: UnsafeMutablePointer<ph_magic_t> }
    private let blocks = Mutex<[ObjectIdentifier: Block]>([:])

    func block(for plugin: any PlugHostPlugin.Type) -> OpaquePointer {
        blocks.withLock { blocks in
            if let block = blocks[ObjectIdentifier(plugin)] { return OpaquePointer(block.pointer) }
            let pointer = UnsafeMutablePointer<ph_magic_t>.allocate(capacity: 1)
            pointer.initialize(to: ph_magic_t(
                struct_size: UInt32(MemoryLayout<ph_magic_t>.size),
                abi_major: UInt16(PH_ABI_MAJOR),
                abi_minor: UInt16(PH_ABI_MINOR),
                name: UnsafePointer(strdup(plugin.name)),
                version: UnsafePointer(strdup(plugin.version)),
                description: UnsafePointer(strdup(plugin.description)),
                swift_runtime: ph_swift_runtime_linkage(),
                swift_version: ph_build_swift_version(),
                target: ph_build_target()
            ))
            blocks[ObjectIdentifier(plugin)] = Block(pointer: pointer)
            return OpaquePointer(pointer)
        }
    }
}
