import Crypto
import FoundationEssentials
import Glibc
package import Logging
package import NIOSSL
package import PlugHostConfig

/// Gets the server's TLS configuration ready: loads the configured certificate and key, or makes
/// a self-signed pair on first start, and checks that they belong together before serving.
public enum TLSSetup {
    /// A certificate or key that cannot be used, said so that the operator can fix it.
    public struct Failure: Error, CustomStringConvertible {
        let message: String
        public var description: String { message }
    }

    package static func configuration(_ settings: TLSSettings, config: HostConfig, logger: Logger) throws -> TLSConfiguration {
        let certificateURL = config.resolve(settings.certFile)
        let keyURL = config.resolve(settings.keyFile)
        let manager = FileManager.default
        let haveCertificate = manager.fileExists(atPath: certificateURL.path)
        let haveKey = manager.fileExists(atPath: keyURL.path)
        if haveCertificate != haveKey {
            let missing = haveCertificate ? keyURL.path : certificateURL.path
            throw Failure(message: "TLS: \(missing) is missing while its partner exists; restore it, or remove both files so a new self-signed pair is made")
        }
        if !haveCertificate {
            try makeSelfSigned(settings, certificateURL: certificateURL, keyURL: keyURL, logger: logger)
        }

        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateURL.path)
        } catch {
            throw Failure(message: "TLS: cannot read a PEM certificate chain from \(certificateURL.path) ([tls] cert_file): \(error)")
        }
        guard !chain.isEmpty else { throw Failure(message: "TLS: \(certificateURL.path) ([tls] cert_file) holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyURL.path, format: .pem)
        } catch {
            throw Failure(message: "TLS: cannot read a PEM private key from \(keyURL.path) ([tls] key_file): \(error)")
        }

        let expiry = Date(timeIntervalSince1970: TimeInterval(chain[0].notValidAfter))
        let daysLeft = Int(expiry.timeIntervalSinceNow / 86_400)
        if expiry < Date() {
            logger.error("TLS: the certificate \(certificateURL.path) expired on \(expiry); clients will refuse it. Replace it, or remove it and its key to make a new self-signed pair")
        } else if daysLeft < 30 {
            logger.warning("TLS: the certificate \(certificateURL.path) expires in \(daysLeft) day(s), on \(expiry); renew it")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = settings.minimumVersion == "1.3" ? .tlsv13 : .tlsv12
        // TLS 1.2: one forward-secret AEAD suite per key type. BoringSSL (via NIOSSL) cannot be told
        // to prefer the server's order, so offering a single suite is what makes the choice the
        // server's rather than the client's. TLS 1.3 clients get AES-GCM or ChaCha20, all AEAD.
        tls.cipherSuites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"].joined(separator: ":")
        tls.applicationProtocols = ["h2", "http/1.1"]
        do {
            // Building a context checks that the key belongs to the leaf certificate.
            _ = try NIOSSLContext(configuration: tls)
        } catch {
            throw Failure(message: "TLS: the key in \(keyURL.path) does not fit the certificate in \(certificateURL.path), or one is unusable (\(error)); replace the pair, or remove both to make a new self-signed one")
        }
        return tls
    }

    private static func makeSelfSigned(_ settings: TLSSettings, certificateURL: URL, keyURL: URL, logger: Logger) throws {
        let made = try SelfSignedCertificate.make(names: settings.names, daysValid: settings.daysValid)
        do {
            for directory in Set([certificateURL.deletingLastPathComponent(), keyURL.deletingLastPathComponent()]) {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            }
            try writeFile(keyURL, made.privateKeyPEM, mode: 0o600)
            try writeFile(certificateURL, made.certificatePEM, mode: 0o644)
        } catch {
            throw Failure(message: "TLS: cannot write the new self-signed certificate: \(error)")
        }
        logger.notice("made a self-signed certificate \(certificateURL.path) (key \(keyURL.path), valid \(settings.daysValid) days), SHA-256 fingerprint \(made.fingerprint)")
    }

    /// Creates the file with `mode` from the start, so a key is never readable by others, not even briefly.
    private static func writeFile(_ url: URL, _ text: String, mode: mode_t) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw Failure(message: "cannot create \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw Failure(message: "cannot write \(url.path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(written)
        }
    }
}
