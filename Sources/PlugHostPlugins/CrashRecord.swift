import PlugHostProcess

/// The worker's side of the crash record (plughost_process.h): which plugin code each thread is in.
/// Every call is a few stores when a record is attached and nothing when not (a single-process host).
/// The worker attaches the record (WorkerRuntime, PlugHostWorkerLink); the supervisor reads it (CrashReport).
enum CrashRecord {
    /// Notes a plugin file about to be loaded; the index attributes its calls.
    static func addPlugin(file: String, sha256: String) -> Int32 {
        ph_record_add_plugin(file, sha256)
    }

    static func setName(_ index: Int32, _ name: String) {
        ph_record_set_plugin_name(index, name)
    }

    /// Runs `body`, plugin code, noted as `what` on behalf of plugin `index`.
    @inline(__always)
    static func running<T, E: Error>(_ index: Int32, _ what: String, _ body: () throws(E) -> T) throws(E) -> T {
        what.withCString { ph_record_enter(index, $0) }
        defer { ph_record_leave() }
        return try body()
    }
}
