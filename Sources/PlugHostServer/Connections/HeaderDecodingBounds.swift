import PlugHostConfig

/// How much of a request head the protocol decoders themselves accept. They are set wider than
/// `[limits]`, so that they bound memory while the ``ConnectionGuard`` applies the exact limits
/// and answers with the right status (431, 414); a head past these bounds is refused by the
/// decoder itself: on HTTP/1.1 with the guard's 431, on HTTP/2 by ending the connection.
extension LimitSettings {
    /// HTTP/1.1: the whole head, request line included, in bytes (41 KiB with the defaults).
    var http1HeadBytes: Int { maxHeaderBytes + maxURILength + 1024 }

    /// HTTP/2: the header list as HPACK counts it, each field's name and value plus 32 bytes,
    /// pseudo-fields (`:path`, ...) included. The HTTP/1.1 bound plus those 32 bytes for as many
    /// fields as the HTTP/1.1 parser admits: 45,216 bytes with the defaults. The server advertises
    /// it as SETTINGS_MAX_HEADER_LIST_SIZE (``HTTPSChannel``).
    var http2HeaderListBytes: Int { http1HeadBytes + 32 * (maxHeaderCount + 1) }
}
