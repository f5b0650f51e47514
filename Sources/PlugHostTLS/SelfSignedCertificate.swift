import Crypto
import FoundationEssentials
import Glibc
import PlugHostConfig
import SwiftASN1
import X509

/// Makes the self-signed certificate HTTPS starts with when no certificate exists: P-256,
/// covering localhost, 127.0.0.1, ::1 and any configured names. Made in Swift — no openssl binary.
enum SelfSignedCertificate {
    struct Made {
        let certificatePEM: String
        let privateKeyPEM: String
        /// SHA-256 of the DER certificate, as colon-separated hex (as browsers show it).
        let fingerprint: String
    }

    static func make(names: [String], daysValid: Int, now: Date = Date()) throws -> Made {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("PlugHost")
            CommonName("localhost")
        }
        var alternativeNames: [GeneralName] = []
        for name in ["localhost", "127.0.0.1", "::1"] + names where !name.isEmpty {
            if let address = IPRange.bytes(of: name), !name.contains("/") {
                alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            } else {
                alternativeNames.append(.dnsName(name))
            }
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(alternativeNames)
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            // A little slack for clocks that run behind.
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(daysValid) * 86_400),
            issuer: subject,
            subject: subject,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let fingerprint = SHA256.hash(data: serializer.serializedBytes).map { HexDigest.text([$0]).uppercased() }.joined(separator: ":")
        return Made(certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: key.pemRepresentation, fingerprint: fingerprint)
    }
}
