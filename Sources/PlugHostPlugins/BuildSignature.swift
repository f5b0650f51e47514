import PlugHostABI

/// How a binary was built, as far as loading it into this process is concerned.
public struct BuildSignature: Sendable, Equatable, CustomStringConvertible {
    /// Swift compiler version as 60301 for 6.3.1; 0 for a binary without Swift.
    public let swiftVersion: UInt32
    /// `PH_RUNTIME_*`.
    public let swiftRuntime: UInt32
    /// `<arch>-<os>`, e.g. `x86_64-linux`.
    public let target: String

    /// The running host's own signature.
    public static let host = BuildSignature(
        swiftVersion: ph_build_swift_version(),
        swiftRuntime: ph_swift_runtime_linkage(),
        target: String(cString: ph_build_target())
    )

    public var usesSwift: Bool { swiftRuntime != UInt32(PH_RUNTIME_NONE) }

    public var swiftVersionText: String {
        swiftVersion == 0 ? "none" : "\(swiftVersion / 10000).\(swiftVersion / 100 % 100).\(swiftVersion % 100)"
    }

    public var runtimeText: String {
        switch Int32(swiftRuntime) {
        case PH_RUNTIME_SWIFT_SHARED: "shared Swift runtime"
        case PH_RUNTIME_SWIFT_STATIC: "static Swift runtime"
        case PH_RUNTIME_NONE: "no Swift runtime"
        default: "unknown runtime (\(swiftRuntime))"
        }
    }

    public var description: String {
        usesSwift ? "Swift \(swiftVersionText), \(target), \(runtimeText)" : "C ABI only, \(target)"
    }

    /// Why a plugin with `plugin`'s signature cannot run in a host with this one, or nil if it can.
    func incompatibility(with plugin: BuildSignature) -> (field: String, fix: String)? {
        if plugin.target != target {
            return ("target: plugin has \(plugin.target), host has \(target)", "build the plugin for \(target)")
        }
        guard plugin.usesSwift else { return nil }
        if plugin.swiftRuntime != UInt32(PH_RUNTIME_SWIFT_SHARED) || swiftRuntime != UInt32(PH_RUNTIME_SWIFT_SHARED) {
            return (
                "swift_runtime: plugin has \(plugin.runtimeText), host has \(runtimeText); two Swift runtimes in one process are unsupported",
                "build host and plugin with the shared Swift runtime (no --static-swift-stdlib)"
            )
        }
        if plugin.swiftVersion != swiftVersion {
            return (
                "swift_version: plugin was built with Swift \(plugin.swiftVersionText), host with Swift \(swiftVersionText); Swift has no stable ABI on this platform",
                "rebuild the plugin with the host's toolchain (Swift \(swiftVersionText))"
            )
        }
        return nil
    }
}
