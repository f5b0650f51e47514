import PlugHostABI

/// The host's function table together with this plugin's handle.
///
/// Holds raw pointers, which are not Sendable. The ABI guarantees both for the life of the
/// process and every function in the table may be called from any thread, so sharing is safe.
struct HostAPI: @unchecked Sendable {
    let table: UnsafePointer<ph_host_api_t>
    let plugin: OpaquePointer

    func log(_ level: LogLevel, _ message: String) {
        table.pointee.log?(plugin, level.rawValue, message)
    }

    func setError(_ message: String) {
        table.pointee.set_error?(plugin, message)
    }

    /// The host function in `field`, or nil when the host's table ends before it (an older host).
    /// Reads only within the table's own struct_size, never past an older host's shorter table.
    func function<Function>(_ field: KeyPath<ph_host_api_t, Function?>) -> Function? {
        let offset = MemoryLayout<ph_host_api_t>.offset(of: field)!
        let size = Int(UnsafeRawPointer(table).load(as: UInt32.self))
        guard size >= offset + MemoryLayout<Function?>.size else { return nil }
        return UnsafeRawPointer(table).load(fromByteOffset: offset, as: Function?.self)
    }

    func configJSON() -> [UInt8] {
        var length = 0
        guard let json = table.pointee.config_json?(plugin, &length) else { return Array("{}".utf8) }
        return Array(UnsafeRawBufferPointer(start: json, count: length))
    }
}

/// Severity of a line written to the host log.
public enum LogLevel: Int32, Sendable {
    case debug = 0, info = 1, warning = 2, error = 3
}

/// Writes to the host's log, attributed to this plugin. Usable from any thread, at any time.
public struct PluginLog: Sendable {
    let host: HostAPI
    public func debug(_ message: String) { host.log(.debug, message) }
    public func info(_ message: String) { host.log(.info, message) }
    public func warning(_ message: String) { host.log(.warning, message) }
    public func error(_ message: String) { host.log(.error, message) }
}
