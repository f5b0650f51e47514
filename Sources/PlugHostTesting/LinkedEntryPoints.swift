import PlugHostABI
import PlugHostPlugins
import PlugHostSDK
import Synchronization

/// The entry points of a Swift plugin type linked into the test, as C function pointers the
/// loader can call like a file's. A C function pointer cannot capture the type, so one pair of
/// trampolines reads it from `loading`, set only while the loader runs (under `lock`, so hosts
/// made in parallel tests take turns).
enum LinkedEntryPoints {
    private static let lock = Mutex<Void>(())
    nonisolated(unsafe) private static var loading: (any PlugHostPlugin.Type)?

    private static let magic: ph_plugin_magic_fn = {
        loading.map { UnsafePointer<ph_magic_t>($0.magic) }
    }

    private static let register: ph_plugin_register_fn = { api, plugin in
        guard let loading else { return PH_ERR_INVALID_ARGUMENT }
        return loading.register(api: OpaquePointer(api), plugin: plugin)
    }

    /// Runs `body` (which loads the plugins) with `type` behind the trampolines of the returned
    /// ``LinkedPlugin``. The plugin's `shutdown()` is the test host's to call: the trampoline
    /// would no longer know the type by then.
    static func loading<T>(_ type: any PlugHostPlugin.Type, _ body: (LinkedPlugin) throws -> T) rethrows -> T {
        try lock.withLock { _ in
            loading = type
            defer { loading = nil }
            return try body(LinkedPlugin(displayName: "\(type) (linked)", magic: magic, register: register, shutdown: nil))
        }
    }
}
