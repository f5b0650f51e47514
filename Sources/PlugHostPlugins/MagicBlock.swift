import PlugHostABI

/// A plugin's magic block, read and checked against this host before any other plugin code runs.
struct MagicBlock: Sendable {
    let name: String
    let version: String
    let description: String
    let abiMajor: Int
    let abiMinor: Int
    let build: BuildSignature

    static func read(_ function: ph_plugin_magic_fn, file: String) throws(PluginLoadError) -> MagicBlock {
        func refuse(_ reason: PluginLoadError.Reason, _ cause: String, _ fix: String) -> PluginLoadError {
            PluginLoadError(file: file, reason: reason, cause: cause, fix: fix)
        }
        guard let block = function() else {
            throw refuse(.invalidMagic, "ph_plugin_magic returned NULL", "Return a pointer to a static ph_magic_t")
        }
        // struct_size, abi_major and abi_minor open the block in every version; read only them
        // until struct_size says the rest is there.
        let raw = UnsafeRawPointer(block)
        let size = Int(raw.load(as: UInt32.self))
        let major = Int(raw.load(fromByteOffset: 4, as: UInt16.self))
        let minor = Int(raw.load(fromByteOffset: 6, as: UInt16.self))
        guard major == Int(PH_ABI_MAJOR) else {
            throw refuse(.incompatibleABI,
                         "incompatible ABI: the plugin has abi_major = \(major) (ABI \(major).\(minor)), this host has abi_major = \(PH_ABI_MAJOR) (ABI \(PH_ABI_MAJOR).\(PH_ABI_MINOR))",
                         "Rebuild the plugin against this host's plughost.h, or run a host that speaks ABI \(major).x")
        }
        guard minor <= Int(PH_ABI_MINOR) else {
            throw refuse(.incompatibleABI,
                         "the plugin needs a newer host: it has abi_minor = \(minor) (ABI \(major).\(minor)), this host has abi_minor = \(PH_ABI_MINOR) (ABI \(PH_ABI_MAJOR).\(PH_ABI_MINOR))",
                         "Upgrade the host, or rebuild the plugin against this host's plughost.h")
        }
        if let problem = ABILayout.problem(size: UInt32(size), of: .magic, declaredMinor: minor) {
            throw refuse(.invalidMagic, "its magic block's \(problem)", "Fill struct_size with sizeof(ph_magic_t) (PH_PLUGIN_MAGIC does) and rebuild against plughost.h")
        }
        let magic = ABILayout.read(block, as: ph_magic_t())
        guard let namePointer = magic.name else {
            throw refuse(.invalidMagic, "its magic block has no name", "Set ph_magic_t.name to a short name like \"my-plugin\"")
        }
        let name = String(cString: namePointer)
        guard isValidName(name) else {
            throw refuse(.invalidMagic, "its name \(name.debugDescription) is not 1-64 characters of a-z, 0-9, '-' and '_'",
                         "Rename it in its magic block")
        }
        let build = BuildSignature(
            swiftVersion: magic.swift_version,
            swiftRuntime: magic.swift_runtime,
            target: magic.target.map { String(cString: $0) } ?? "unknown"
        )
        if let (field, fix) = BuildSignature.host.incompatibility(with: build) {
            throw refuse(.incompatibleBuild, "incompatible build: \(field)", fix.prefix(1).uppercased() + fix.dropFirst())
        }
        return MagicBlock(
            name: name,
            version: magic.version.map { String(cString: $0) } ?? "",
            description: magic.description.map { String(cString: $0) } ?? "",
            abiMajor: major, abiMinor: minor, build: build
        )
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}
