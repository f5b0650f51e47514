import Foundation

/// A certificate authority and a server certificate it signed for 127.0.0.1, made with openssl at
/// test time, as an operator would make them for Redis's TLS port.
struct TestCertificates {
    let directory: URL
    var caFile: URL { directory.appending(path: "ca.pem") }
    var certificateFile: URL { directory.appending(path: "server.pem") }
    var keyFile: URL { directory.appending(path: "server.key") }

    /// Makes a CA and a server certificate naming `IP:127.0.0.1` in `directory`.
    init(in directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.path
        try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(path)/ca.key", "-out", caFile.path,
                          "-days", "2", "-subj", "/CN=PlugHost test CA"])
        try Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile.path, "-out", "\(path)/server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(to: directory.appending(path: "san.ext"), atomically: true, encoding: .utf8)
        try Self.openssl(["x509", "-req", "-in", "\(path)/server.csr", "-CA", caFile.path, "-CAkey", "\(path)/ca.key", "-CAcreateserial",
                          "-out", certificateFile.path, "-days", "2", "-extfile", "\(path)/san.ext"])
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try run("openssl", arguments)
        guard result.status == 0 else { throw FixtureError(message: "openssl \(arguments.first ?? "") failed: \(result.error)") }
    }
}
