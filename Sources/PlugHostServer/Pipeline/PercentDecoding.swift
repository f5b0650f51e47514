import FoundationEssentials
import Glibc
import PlugHostConfig

/// Percent-decoding of paths and parameters as routes and middlewares see them.
enum PercentDecoding {
    /// `text` with `%XX` escapes decoded; `text` itself when it has none (most requests: nothing
    /// to decode), or when an escape is malformed.
    static func decode(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return text.percentDecoded ?? text
    }
}
