package import HTTPTypes
package import Logging
package import PlugHostConfig
import Synchronization

/// The framing of a response is the host's, never a plugin's: a plugin that could send its own
/// `Content-Length` or a body after a 204 could make the bytes after its answer the start of the
/// next response on a keep-alive connection (response splitting). These rules are applied to
/// every answer a plugin gives (``PluginAnswer``); the header rules also to every header edit.
package enum AnswerFraming {
    /// Headers that describe the message or the connection rather than the content: the host's
    /// HTTP/1.1 and HTTP/2 encoders write them from the body they send. A plugin's are dropped.
    package static let hostOwnedHeaders = HeaderNameSet([
        .contentLength, .transferEncoding, .connection, .te, .upgrade, .trailer,
        HTTPField.Name("Keep-Alive")!, HTTPField.Name("Proxy-Connection")!,
    ])

    /// True for the statuses that carry no body (RFC 9110 §6.4.1): 1xx, 204 and 304.
    package static func forbidsBody(_ status: HTTPResponse.Status) -> Bool {
        status.kind == .informational || status.code == 204 || status.code == 304
    }

    /// Logs `message` the first time `key` is seen: a plugin that breaks a rule usually breaks it
    /// on every request, and one line per request would drown the log.
    package static func reportOnce(_ key: String, _ logger: Logger, _ message: @autoclosure () -> Logger.Message) {
        if reported.withLock({ $0.insert(key).inserted }) {
            logger.warning(message())
        }
    }

    private static let reported = Mutex<Set<String>>([])
}
