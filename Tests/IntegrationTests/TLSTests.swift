import Foundation
import Testing

/// HTTPS by default: a self-signed certificate made on first start, HTTP/2 by ALPN, old TLS refused.
@Suite(.serialized)
struct TLSTests {
    let host: HostProcess
    var certificate: URL { host.site.appending(path: "certs/cert.pem") }
    var key: URL { host.site.appending(path: "certs/key.pem") }

    init() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\nnames = [\"plughost.test\"]\n") { plugins in
            try FixturePlugins.installExample(into: plugins)
        }
        host = try HostProcess(site: site)
    }

    private func curl(_ arguments: [String]) throws -> CommandResult {
        try run("curl", ["-sS", "--cacert", certificate.path, "-o", "/dev/null", "-w", "%{http_version} %{http_code}"] + arguments)
    }

    @Test func firstStartMakesACertificateAndAPrivateKeyOnlyTheOwnerCanRead() throws {
        #expect(host.scheme == "https")
        let mode = try FileManager.default.attributesOfItem(atPath: key.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(host.output.contains("made a self-signed certificate \(certificate.path)"))
        #expect(host.output.contains("SHA-256 fingerprint"))
        let text = try run("openssl", ["x509", "-in", certificate.path, "-noout", "-text"]).output
        #expect(text.contains("DNS:localhost") && text.contains("IP Address:127.0.0.1") && text.contains("DNS:plughost.test"))
        #expect(text.contains("IP Address:0:0:0:0:0:0:0:1"))
    }

    @Test func curlVerifiesTheCertificateForLocalhost() throws {
        let result = try curl(["https://localhost:\(host.port)/api/health"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasSuffix("200"))
    }

    @Test func http2AndHTTP11BothAnswer() throws {
        #expect(try curl(["--http2", "https://127.0.0.1:\(host.port)/api/hello"]).output == "2 200")
        #expect(try curl(["--http1.1", "https://127.0.0.1:\(host.port)/api/hello"]).output == "1.1 200")
    }

    @Test func opensslNegotiatesH2ByALPN() throws {
        let result = try run("openssl", ["s_client", "-alpn", "h2", "-connect", "127.0.0.1:\(host.port)", "-CAfile", certificate.path], input: Data())
        #expect(result.output.contains("ALPN protocol: h2"), "\(result.combined)")
        #expect(result.output.contains("Verify return code: 0 (ok)"))
    }

    @Test(arguments: ["-tls1", "-tls1_1"])
    func oldTLSVersionsAreRefused(_ flag: String) throws {
        let result = try run("openssl", ["s_client", flag, "-connect", "127.0.0.1:\(host.port)"], input: Data())
        #expect(result.status != 0)
        #expect(!result.output.contains("ALPN protocol") && !(result.output.contains("Cipher is ") && !result.output.contains("Cipher is (NONE)")))
    }

    @Test func secondStartReusesTheCertificate() throws {
        let before = try Data(contentsOf: certificate)
        host.stop()
        let again = try HostProcess(site: host.site)
        #expect(try Data(contentsOf: certificate) == before)
        #expect(!again.output.contains("made a self-signed certificate"))
        again.stop()
    }
}

/// Certificates that cannot be used, ports that cannot be bound, and the HTTP redirect.
@Suite struct TLSStartupTests {
    @Test func mismatchedCertificateAndKeyStopTheStartWithAClearError() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n") { _ in }
        defer { try? FileManager.default.removeItem(at: site) }
        let certs = site.appending(path: "certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        // Two valid pairs made with openssl; the site gets the first certificate and the second key.
        for name in ["a", "b"] {
            try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                                "-subj", "/CN=localhost", "-keyout", certs.appending(path: "\(name).key").path,
                                "-out", certs.appending(path: "\(name).pem").path])
        }
        try FileManager.default.moveItem(at: certs.appending(path: "a.pem"), to: certs.appending(path: "cert.pem"))
        try FileManager.default.moveItem(at: certs.appending(path: "b.key"), to: certs.appending(path: "key.pem"))
        let result = try run(Paths.plughost.path, ["serve", "--config", site.appending(path: "host.toml").path, "--port", "0"])
        #expect(result.status != 0)
        #expect(result.combined.contains("does not fit the certificate"))
    }

    @Test func unreadableCertificateIsNamed() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n") { _ in }
        defer { try? FileManager.default.removeItem(at: site) }
        try FileManager.default.createDirectory(at: site.appending(path: "certs"), withIntermediateDirectories: true)
        try "not a certificate".write(to: site.appending(path: "certs/cert.pem"), atomically: true, encoding: .utf8)
        try "not a key".write(to: site.appending(path: "certs/key.pem"), atomically: true, encoding: .utf8)
        let result = try run(Paths.plughost.path, ["serve", "--config", site.appending(path: "host.toml").path, "--port", "0"])
        #expect(result.status != 0)
        #expect(result.combined.contains("cannot read a PEM certificate chain from \(site.appending(path: "certs/cert.pem").path)"))
    }

    @Test func privilegedPortWithoutRightsSuggestsAnotherPort() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = false\n[logging]\nfile = \"\"\n") { _ in }
        defer { try? FileManager.default.removeItem(at: site) }
        // Run as an unprivileged user, as most people would.
        try run("chmod", ["-R", "a+rX", site.path])
        let result = try run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                         Paths.plughost.path, "serve", "--config", site.appending(path: "host.toml").path, "--port", "443"])
        #expect(result.status != 0)
        #expect(result.combined.contains("permission denied"))
        #expect(result.combined.contains("plughost serve --port 8443"))
    }

    @Test func plainHTTPPortRedirectsToHTTPS() throws {
        let httpPort = try freeLoopbackPort()
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\n[server]\nhttp_port = \(httpPort)\n") { _ in }
        let host = try HostProcess(site: site)
        let answer = try HTTP.get("http://127.0.0.1:\(httpPort)/api/health?x=1")
        #expect(answer.status == 308)
        #expect(answer.headers["location"] == "https://127.0.0.1:\(host.port)/api/health?x=1")
    }
}
