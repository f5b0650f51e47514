import FoundationEssentials
import Glibc

/// Refuses plugin files anyone else could have changed, as sshd's StrictModes refuses loose key
/// files: a plugin runs with the host's rights, so whoever can write it can act as the host.
///
/// Checked before `dlopen` (which already runs a library's constructors): the plugins directory
/// and each file must be owned by the host's user or root and writable by neither group nor others.
enum PluginFileTrust {
    /// Nil when `path` may be trusted; otherwise what is wrong and the command that fixes it.
    static func problem(with path: String, isDirectory: Bool) -> (cause: String, fix: String)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }  // missing: the loader reports it its own way
        let what = isDirectory ? "the plugins directory \(path)" : "it"
        let owner = info.st_uid
        if owner != geteuid(), owner != 0 {
            return ("\(what) is owned by uid \(owner), not by the host's user (uid \(geteuid())) or root, so that user could replace the code the host runs",
                    "Run: chown \(geteuid()) \(path)")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o022 != 0 {
            let who = mode & 0o002 != 0 ? "anyone" : "its group"
            return ("\(what) is writable by \(who) (mode \(String(mode, radix: 8))), so \(who == "anyone" ? "any user" : "the group") could replace the code the host runs",
                    "Run: chmod go-w \(path)")
        }
        return nil
    }
}
