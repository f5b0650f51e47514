package import HTTPTypes
import Logging
package import NIOCore
import PlugHostABI

/// A plugin's answer, copied out of its `ph_response_t` into the host's own types.
package struct PluginAnswer: Sendable {
    package var status: HTTPResponse.Status
    package var headers: HTTPFields
    package var body: ByteBuffer
    /// The host gave this answer because `[server] shutdown_grace` ran out before the plugin
    /// answered: the request log reports the request as aborted.
    package private(set) var endsAtShutdown = false

    /// Copies `response`, dropping what must never reach the wire: header names that are not
    /// valid tokens, values with CR, LF or NUL (header injection), the headers that frame the
    /// message (``AnswerFraming``) and a body on a status that carries none. A final status
    /// outside 200-599 becomes 500. Each drop is logged, naming the plugin.
    init(copying response: ph_response_t, owner: CallOwner, logger: Logger) {
        guard (200...599).contains(Int(response.status)) else {
            // A 1xx is never a final answer: a client waits on after 100 for the real one, and
            // 101 would claim a protocol switch the host never makes.
            let why = (100...199).contains(Int(response.status)) ? "an interim (1xx) status, which cannot be a final answer" : "an invalid status"
            logger.error("plugin '\(owner.plugin)' answered \(owner.what) with \(why) (\(response.status)); sent 500 instead")
            self = PluginAnswer(status: .internalServerError, detail: "The plugin serving this route gave an invalid answer.")
            return
        }
        status = HTTPResponse.Status(code: Int(response.status))
        headers = HTTPFields()
        // Room for the fields the host adds to every answer (its length, the rate-limit and
        // security headers, the date, a hook's): the list is not copied to grow on the way.
        headers.reserveCapacity(Int(response.header_count) + 24)
        for index in 0..<response.header_count {
            guard let pair = response.headers?[index] else { break }
            guard let field = SafeHeader.field(pair, owner: owner, logger: logger) else { continue }
            guard !AnswerFraming.hostOwnedHeaders.contains(field.name) else {
                AnswerFraming.reportOnce("\(owner.plugin)|\(owner.what)|\(field.name.canonicalName)", logger,
                    "plugin '\(owner.plugin)' set \(field.name.canonicalName) in its answer to \(owner.what); the host frames every response itself, so it was dropped (logged once)")
                continue
            }
            headers.append(field)
        }
        if response.body.len > 0, let data = response.body.data {
            if AnswerFraming.forbidsBody(status) {
                AnswerFraming.reportOnce("\(owner.plugin)|\(owner.what)|body\(status.code)", logger,
                    "plugin '\(owner.plugin)' answered \(owner.what) with \(status.code) and a body of \(response.body.len) bytes; a \(status.code) carries no body, so it was dropped (logged once)")
                body = ByteBuffer()
            } else {
                body = ByteBuffer(bytes: UnsafeRawBufferPointer(start: data, count: response.body.len))
            }
        } else {
            body = ByteBuffer()
        }
        // Framed here, where the list is still the answer's own: set later, it would be copied
        // (the call's outcome still holds it).
        headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
    }

    package init(status: HTTPResponse.Status, detail: String) {
        self.status = status
        headers = [.contentType: "application/json"]
        body = ByteBuffer(string: ErrorBody.json(detail))
    }

    /// What the client gets for a plugin call still unanswered when `[server] shutdown_grace` ran out.
    package static func shutdownGraceExpired(seconds: Double) -> PluginAnswer {
        var answer = PluginAnswer(status: .serviceUnavailable,
                                  detail: "The server is shutting down and this request did not finish within \(seconds) seconds ([server] shutdown_grace).")
        answer.endsAtShutdown = true
        return answer
    }

    /// 503 for a call past its plugin's share of the blocking pool (``BlockingShares``).
    static func busy(plugin: String, share: Int) -> PluginAnswer {
        var answer = PluginAnswer(status: .serviceUnavailable,
                                  detail: "The plugin '\(plugin)' is busy: it has \(share) calls in progress, its limit ([plugins.\(plugin)] max_concurrency). Try again shortly.")
        answer.headers[.retryAfter] = "1"
        return answer
    }
}

/// A header a plugin hands the host, checked before it can reach the wire.
enum SafeHeader {
    /// The field, or nil (logged) when the name is not a token or the value holds CR, LF or NUL.
    static func field(_ pair: ph_pair_t, owner: CallOwner, logger: Logger) -> HTTPField? {
        let name = pair.name.copiedString
        // Checked on the plugin's bytes before a String is made of them: repairing invalid UTF-8
        // never makes or removes a CR, LF or NUL.
        let safe = isSafeValue(pair.value.bytes)
        let value = pair.value.copiedString
        guard let fieldName = HTTPField.Name(name), safe else {
            logger.warning("plugin '\(owner.plugin)' sent an invalid header in \(owner.what) (name \(name.debugDescription)); dropped it")
            return nil
        }
        return HTTPField(name: fieldName, value: value)
    }

    static func isSafeValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 })
    }
}
