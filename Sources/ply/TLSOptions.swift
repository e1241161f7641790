import ArgumentParser
import NIOSSL
import PlyClient

/// `--tls` and `--ca-file` for the commands that connect to a server.
struct TLSOptions: ParsableArguments {
    @Flag(help: "Connect with TLS (the server runs with --tls-cert and --tls-key).") var tls = false
    @Option(help: "PEM file of the certificates to trust (a private CA, or a self-signed server's own); default: the system's.")
    var caFile: String?

    /// The client configuration, or nil for plain TCP.
    func configuration() throws -> TLSConfiguration? {
        guard tls else {
            if caFile != nil { throw ValidationError("--ca-file needs --tls") }
            return nil
        }
        do {
            return try PlyClient.tls(trusting: caFile)
        } catch {
            throw ValidationError("cannot read --ca-file \(caFile ?? ""): \(error)")
        }
    }
}
