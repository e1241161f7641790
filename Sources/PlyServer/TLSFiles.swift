import NIOSSL

extension ServerConfiguration {
    /// A TLS context from a PEM certificate chain and private key (`--tls-cert`, `--tls-key`).
    /// Throws with the file and what is wrong with it, for the operator.
    public static func tlsContext(certificateFile: String, keyFile: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw TLSSetupError(description: "cannot read the certificate chain in \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw TLSSetupError(description: "no certificate in \(certificateFile)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw TLSSetupError(description: "cannot read the private key in \(keyFile): \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(description: "the certificate and key do not make a TLS context: \(error)")
        }
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
}
