import FoundationEssentials
import Glibc

/// Why a file operation failed, in the system's words ("No such file or directory"), as
/// Foundation's `localizedDescription` said it: FoundationEssentials has no localized descriptions.
package func fileErrorDescription(_ error: any Error) -> String {
    if let error = error as? CocoaError {
        if let posix = error.underlying as? POSIXError { return systemErrorText(posix.code.rawValue) }
        switch error.code {
        // What reading a file as UTF-8 text reports when its bytes are not UTF-8.
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding: return "it holds bytes that are not UTF-8"
        case .fileReadNoSuchFile, .fileNoSuchFile: return systemErrorText(ENOENT)
        case .fileReadNoPermission, .fileWriteNoPermission: return systemErrorText(EACCES)
        default: break
        }
    }
    if let error = error as? POSIXError { return systemErrorText(error.code.rawValue) }
    return "\(error)"
}

/// `strerror` for `code`: "Permission denied".
package func systemErrorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
