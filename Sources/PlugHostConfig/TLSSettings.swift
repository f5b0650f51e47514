/// `[tls]`: HTTPS, on by default, with a self-signed certificate made on first start.
public struct TLSSettings: Sendable {
    public var enabled = true
    /// PEM certificate chain, leaf first. Made (self-signed) when missing.
    public var certFile = "certs/cert.pem"
    /// PEM private key of the leaf certificate. Made when missing, mode 0600.
    public var keyFile = "certs/key.pem"
    /// Validity of a made certificate, in days.
    public var daysValid = 365
    /// Names and addresses a made certificate covers besides localhost, 127.0.0.1 and ::1.
    public var names: [String] = []
    /// Oldest protocol accepted: "1.2" or "1.3".
    public var minimumVersion = "1.2"
}

/// `[static]`: files served at `/` for everything outside `/api`.
public struct StaticSettings: Sendable {
    public var enabled = true
    /// The directory served; relative to host.toml. Missing: nothing is served.
    public var directory = "static"
    /// `Cache-Control` for static answers; empty sends none.
    public var cacheControl = "public, max-age=300"
    /// Single-page-app mode: unknown paths outside /api get index.html instead of 404.html.
    public var spa = false
}
