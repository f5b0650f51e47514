import PlugHostABI

/// The one table of how big each struct a plugin hands the host was in each minor version of
/// ABI 1, and the one rule for reading them.
///
/// A plugin built against an older `plughost.h` fills `struct_size` with that header's
/// `sizeof`: smaller than this host's, and still valid. So a struct is accepted when its
/// `struct_size` is at least its size in the minor the plugin declared in its magic block, and
/// the host reads only the bytes that size covers (``read(_:as:)``); the fields it lacks read as
/// zero, which every field added later documents as "the old behaviour". A newer plugin's larger
/// struct is read up to what this host knows.
///
/// **Adding a field** (ABI 1.4 and later): append it at the end of the struct in plughost.h, raise
/// `PH_ABI_MINOR`, give it a meaning at zero, and add the new minor's column below (every
/// struct, changed or not). Freeze the released header in `Tests/IntegrationTests/Fixtures/abi/`.
/// `ABICompatibilityTests` compiles every frozen header and fails if a number here is wrong.
package enum ABILayout {
    /// The structs a plugin writes and the host reads.
    package enum PluginStruct: String, CaseIterable, Sendable {
        case magic = "ph_magic_t", route = "ph_route_t", response = "ph_response_t", middleware = "ph_middleware_t"
    }

    /// `sizeof` in ABI 1.0, 1.1, 1.2, 1.3, 1.4, 1.5 (index = minor), on the 64-bit targets the host
    /// runs on; nil where the struct did not exist yet.
    static let sizes: [PluginStruct: [Int?]] = [
        .magic: [48, 48, 48, 48, 48, 48],
        .route: [64, 72, 72, 80, 80, 80],          // 1.1 added rate_cost, 1.3 max_body_size
        .response: [40, 40, 40, 40, 40, 40],
        .middleware: [nil, nil, nil, 64, 64, 64],  // new in 1.3
    ]

    /// The smallest `struct_size` accepted from a plugin that declared `minor`, or nil when the
    /// struct did not exist in that minor (the plugin cannot have meant to pass one).
    package static func minimumSize(of kind: PluginStruct, declaredMinor minor: Int) -> Int? {
        let column = sizes[kind]!
        return column[min(max(minor, 0), column.count - 1)]
    }

    /// Why `size` is refused for `kind` from a plugin that declared `minor`, or nil when it is fine.
    package static func problem(size: UInt32, of kind: PluginStruct, declaredMinor minor: Int) -> String? {
        guard let minimum = minimumSize(of: kind, declaredMinor: minor) else {
            let first = sizes[kind]!.firstIndex { $0 != nil }!
            return "\(kind.rawValue) is new in ABI \(PH_ABI_MAJOR).\(first), but the plugin declares ABI \(PH_ABI_MAJOR).\(minor) in its magic block"
        }
        guard Int(size) >= minimum else {
            return "\(kind.rawValue) has struct_size \(size), smaller than its size in ABI \(PH_ABI_MAJOR).\(minor) (\(minimum)), the version the plugin declares"
        }
        return nil
    }

    /// A copy of the struct at `pointer` as far as its leading `struct_size` says the plugin
    /// wrote it, capped at this host's size; the rest stays zero.
    static func read<Struct>(_ pointer: UnsafePointer<Struct>, as empty: Struct) -> Struct {
        var copy = empty
        let size = min(Int(UnsafeRawPointer(pointer).load(as: UInt32.self)), MemoryLayout<Struct>.size)
        withUnsafeMutableBytes(of: &copy) { $0.baseAddress!.copyMemory(from: pointer, byteCount: size) }
        return copy
    }
}
