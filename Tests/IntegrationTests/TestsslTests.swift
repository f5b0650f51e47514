import Foundation
import Testing

/// The TLS configuration as testssl.sh (Debian package) judges it, on loopback.
///
/// The site uses a certificate from its own CA, as a real deployment does: a self-signed
/// certificate is by nature untrusted and carries no revocation URLs, which testssl rates as
/// certificate findings whatever the server's TLS settings are. Everything else — protocols,
/// ciphers, cipher order, known vulnerabilities — must have no HIGH or CRITICAL finding.
@Suite struct TestsslTests {
    @Test(.timeLimit(.minutes(5)))
    func testsslFindsNothingHighOrCritical() throws {
        let site = try HostProcess.makeSite(config: "[tls]\nenabled = true\ncert_file = \"certs/chain.pem\"\nkey_file = \"certs/key.pem\"\n") { _ in }
        let certs = site.appending(path: "certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        func path(_ name: String) -> String { certs.appending(path: name).path }
        try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "400",
                            "-subj", "/CN=PlugHost Test CA", "-keyout", path("ca.key"), "-out", path("ca.pem"),
                            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                            "-keyout", path("key.pem"), "-out", path("leaf.csr")])
        try """
            subjectAltName=DNS:localhost,IP:127.0.0.1
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth
            crlDistributionPoints=URI:http://127.0.0.1:9/ca.crl
            authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp
            """.write(to: certs.appending(path: "leaf.ext"), atomically: true, encoding: .utf8)
        try run("openssl", ["x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                            "-days", "365", "-extfile", path("leaf.ext"), "-out", path("leaf.pem")])
        let chain = try String(contentsOfFile: path("leaf.pem"), encoding: .utf8) + String(contentsOfFile: path("ca.pem"), encoding: .utf8)
        try chain.write(toFile: path("chain.pem"), atomically: true, encoding: .utf8)

        let host = try HostProcess(site: site)
        let report = site.appending(path: "testssl.json").path
        // --warnings off: no questions; --add-ca: trust the site's CA; results as JSON for the check below.
        let result = try runWithDefaultSignals("timeout", ["--kill-after=10", "240", "testssl", "--quiet", "--color", "0", "--warnings", "off", "--add-ca", path("ca.pem"),
                                         "--jsonfile", report, "127.0.0.1:\(host.port)"])
        #expect(FileManager.default.fileExists(atPath: report), "testssl did not finish: \(result.combined.suffix(2000))")
        let findings = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(filePath: report))) as? [[String: Any]] ?? []
        #expect(findings.count > 50, "testssl reported too little to judge: \(findings.count) findings")
        let severe = findings.filter { ["HIGH", "CRITICAL"].contains($0["severity"] as? String ?? "") }
        #expect(severe.isEmpty, "\(severe.map { "\($0["id"] ?? "") \($0["finding"] ?? "")" })")
    }
}
