import Foundation
import NIOCore
import NIOSSL
import PlyClient
import PlyJSON
import PlyServer
import Testing

/// The line port over TLS (`--tls-cert`, `--tls-key`), with a self-signed pair made here by
/// `openssl`, as README shows.
@Suite(
    .enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"),
    .timeLimit(.minutes(3)))
struct TLSTests {
    /// A certificate for 127.0.0.1 and localhost, and its key, in a fresh folder.
    static func selfSignedPair() throws -> (cert: String, key: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ply-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
        ]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "openssl made the pair")
        return (cert, key)
    }

    /// A server with the HTTP port on, over TLS with a fresh pair, and a client context that
    /// trusts it; `configure` sets the limits under test.
    static func httpsServer(_ configure: @escaping (inout PlyApp) -> Void) async throws -> (TestServer, http: Int, client: NIOSSLContext) {
        let (cert, key) = try selfSignedPair()
        let context = try ServerConfiguration.tlsContext(certificateFile: cert, keyFile: key)
        let server = try await TestServer.start {
            $0.server.tls = context
            $0.server.httpPort = 0
            configure(&$0)
        }
        return (server, try #require(server.httpPort), try NIOSSLContext(configuration: PlyClient.tls(trusting: cert)))
    }

    static func server() async throws -> (TestServer, cert: String) {
        let (cert, key) = try selfSignedPair()
        let context = try ServerConfiguration.tlsContext(certificateFile: cert, keyFile: key)
        return (try await TestServer.start { $0.server.tls = context }, cert)
    }

    /// Logins and moves over TLS, the server's certificate checked against the pair's own.
    @Test func playersLogInAndPlayOverTLS() async throws {
        let (server, cert) = try await Self.server()
        let tls = try PlyClient.tls(trusting: cert)
        let ann = try await PlyClient.connect(host: "127.0.0.1", port: server.port, tls: tls)
        let bo = try await PlyClient.connect(host: "localhost", port: server.port, tls: tls)
        _ = try await ann.authDevice("tls-ann-\(UUID().uuidString)")
        let b = try await bo.authDevice("tls-bo-\(UUID().uuidString)")
        let match = try #require(try await ann.callObject(#"CHALLENGE \#(b.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        try await bo.call("ACCEPT \(match)")
        let moved = try await ann.move(match: match, ply: 1, move: "f5")
        #expect(moved["ply"]?.intValue == 1)
        #expect(try await bo.callObject("MATCH \(match)")["moves"] == ["f5"])
        await ann.close()
        await bo.close()
        try await server.stop()
    }

    /// The HTTP port speaks HTTPS with the same pair; a connection past the server's limit
    /// reads its 503 over TLS, after the handshake (an HTTPS client cannot read one sent
    /// before it), and is closed; one that never starts its
    /// handshake is closed after the handshake time (2 s here).
    @Test func theHTTPPortSpeaksHTTPSAndRefusesOverIt() async throws {
        let (server, http, tls) = try await Self.httpsServer {
            $0.server.maximumConnections = 2
            $0.server.handshakeTimeout = .seconds(2)
        }
        let kept = try await TestClient.connect(port: http, tls: tls, expectHello: false)
        try await kept.sendRaw(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let ok = try await kept.nextLine(timeout: .seconds(5))
        #expect(ok.hasPrefix("HTTP/1.1 200"), "\(ok)")
        // The kept-alive HTTPS connection and one on the line port fill the server.
        let line = try await TestClient.connect(port: server.port, tls: tls)
        let refused = try await TestClient.connect(port: http, tls: tls, expectHello: false)
        let status = try await refused.nextLine(timeout: .seconds(5))
        #expect(status.hasPrefix("HTTP/1.1 503"), "\(status)")
        #expect(await refused.isClosed(within: .seconds(5)))
        let silent = try await TestClient.connect(port: http, expectHello: false)
        #expect(await silent.isClosed(within: .seconds(10)), "a refused connection that never handshakes is closed")
        await line.close()
        try await server.stop()
    }

    /// Over HTTPS an address past its own limit is closed at once, without a handshake
    /// (which would cost the server more than the 503 is worth), while other addresses are
    /// served.
    @Test func anAddressPastItsLimitIsClosedWithoutAHandshake() async throws {
        let (server, http, tls) = try await Self.httpsServer { $0.server.maximumConnectionsPerAddress = 1 }
        let kept = try await TestClient.connect(port: http, tls: tls, expectHello: false)
        try await kept.sendRaw(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(try await kept.nextLine(timeout: .seconds(5)).hasPrefix("HTTP/1.1 200"))
        // A TLS client from the full address gets no 503: the handshake itself is refused.
        let refused = try await TestClient.connect(port: http, tls: tls, expectHello: false)
        #expect(await refused.isClosed(within: .seconds(5)), "closed, where a handshake would keep it open for 30 s")
        #expect((try? await refused.nextLine(timeout: .milliseconds(10))) == nil, "closed, with nothing to read")
        let other = try await TestClient.connect(port: http, source: "127.0.0.2", tls: tls, expectHello: false)
        try await other.sendRaw(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(try await other.nextLine(timeout: .seconds(5)).hasPrefix("HTTP/1.1 200"))
        try await server.stop()
    }

    /// A client that speaks plain TCP to the TLS port gets no greeting it can read and is
    /// closed; one that does not trust the certificate never logs in.
    @Test func plainAndUntrustingClientsAreRefused() async throws {
        let (server, cert) = try await Self.server()
        let plain = try await TestClient.connect(port: server.port, expectHello: false)
        try await plain.send("PING")
        #expect(await plain.isClosed(within: .seconds(10)))
        #expect((try? await plain.nextLine(timeout: .milliseconds(10)))?.hasPrefix("EVENT hello") != true)
        await #expect(throws: (any Error).self) {
            _ = try await PlyClient.connect(host: "127.0.0.1", port: server.port, helloTimeout: .seconds(3), tls: PlyClient.tls())
        }
        // The server goes on serving TLS clients.
        let ok = try await PlyClient.connect(host: "127.0.0.1", port: server.port, tls: try PlyClient.tls(trusting: cert))
        _ = try await ok.authDevice("tls-after-\(UUID().uuidString)")
        await ok.close()
        try await server.stop()
    }
}
