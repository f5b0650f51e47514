/// Why one plugin file was refused. The description is one line: the file, the cause, the fix.
/// Codable: `plughost check` hands the refusals it made to its loader process.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable, Codable {
    public enum Reason: String, Sendable, Codable {
        case notASharedLibrary = "not_a_shared_library"
        case missingDependency = "missing_dependency"
        case undefinedSymbol = "undefined_symbol"
        case missingEntryPoint = "missing_entry_point"
        case incompatibleABI = "incompatible_abi"
        case incompatibleBuild = "incompatible_build"
        case invalidMagic = "invalid_magic"
        case duplicatePluginName = "duplicate_plugin_name"
        case registrationFailed = "registration_failed"
        case invalidRoute = "invalid_route"
        case invalidMiddleware = "invalid_middleware"
        case duplicateMiddleware = "duplicate_middleware"
        case duplicateRoute = "duplicate_route"
        case insecurePermissions = "insecure_permissions"
        case hashMismatch = "sha256_mismatch"
        case quarantined = "quarantined"
        /// Its loading crashed, exited or hung the process loading it (`plughost check`).
        case loadingDidNotReturn = "loading_did_not_return"
    }

    public let file: String
    public let reason: Reason
    /// What is wrong, with the values that differ.
    public let cause: String
    /// What to do about it.
    public let fix: String

    public init(file: String, reason: Reason, cause: String, fix: String) {
        self.file = file
        self.reason = reason
        self.cause = cause
        self.fix = fix
    }

    public var description: String { "plugin \(file) refused: \(cause). \(fix)." }
}
