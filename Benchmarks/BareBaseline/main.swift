// The baseline of scripts/bench: the same JSON answer as the example plugin's GET /api/hello from
// a plain Hummingbird route, with no middleware, no plugin boundary, no logging.
//   BareBaseline PORT               plain HTTP/1.1
//   BareBaseline PORT CERT KEY      HTTPS with HTTP/2 (ALPN), like the host's [tls]
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 4, let port = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: BareBaseline PORT [CERT KEY]\n".utf8))
    exit(2)
}

let body = ByteBuffer(string: #"{"message":"Hello from the example plugin"}"#)
let router = Router()
router.get("/api/hello") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}

let server: HTTPServerBuilder
if arguments.count == 4 {
    let configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[2]).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[3], format: .pem))
    )
    server = try .http2Upgrade(tlsConfiguration: configuration)
} else {
    server = .http1()
}
let application = Application(
    router: router,
    server: server,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: Logger(label: "BareBaseline")
)
try await application.runService()
