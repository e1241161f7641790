import Foundation
import JWTKit
import PlyJSON
import Testing

struct TestClaims: JWTPayload {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs identity tokens the way a studio's login service would.
enum TokenFactory {
    static func token(
        subject: String, secret: String = TestServer.jwtSecret, audience: String = TestServer.jwtAudience,
        issuer: String = TestServer.jwtIssuer, expires: Date = Date().addingTimeInterval(600)
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(
            TestClaims(iss: .init(value: issuer), sub: .init(value: subject), aud: .init(value: [audience]), exp: .init(value: expires)))
    }

    /// An unsigned token claiming `alg: none`.
    static func unsigned(subject: String) -> String {
        func b64(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let exp = Int(Date().timeIntervalSince1970) + 600
        let header = b64(#"{"alg":"none","typ":"JWT"}"#)
        let body = b64(#"{"iss":"\#(TestServer.jwtIssuer)","sub":"\#(subject)","aud":"\#(TestServer.jwtAudience)","exp":\#(exp)}"#)
        return "\(header).\(body)."
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct IdentityTests {
    @Test func validTokenCreatesThenFindsThePlayer() async throws {
        let server = try await TestServer.start()
        let subject = "steam-\(UUID().uuidString)"
        let a = try await server.client()
        let first = try await a.ok("AUTH EXTERNAL jwt \(try await TokenFactory.token(subject: subject))")
        #expect(first["new"]?.boolValue == true)
        let b = try await server.client()
        let second = try await b.ok("AUTH EXTERNAL JWT \(try await TokenFactory.token(subject: subject))")
        #expect(second["new"]?.boolValue == false)
        let player = try #require(first["player"]?.stringValue)
        #expect(second["player"]?.stringValue == player)
        try await server.stop()
    }

    @Test func badTokensAreRefused() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        let expired = try await TokenFactory.token(subject: "late", expires: Date().addingTimeInterval(-60))
        try await c.err("AUTH EXTERNAL jwt \(expired)", "unauthenticated")
        let forged = try await TokenFactory.token(subject: "forger", secret: "not-the-server-secret-at-all-000000")
        try await c.err("AUTH EXTERNAL jwt \(forged)", "unauthenticated")
        let d = try await server.client()
        let elsewhere = try await TokenFactory.token(subject: "wrong-aud", audience: "some-other-game")
        try await d.err("AUTH EXTERNAL jwt \(elsewhere)", "unauthenticated")
        try await d.err("AUTH EXTERNAL jwt \(TokenFactory.unsigned(subject: "nobody"))", "unauthenticated")
        let foreignIssuer = try await TokenFactory.token(subject: "x", issuer: "https://evil.example")
        try await d.err("AUTH EXTERNAL jwt \(foreignIssuer)", "unauthenticated")
        let e = try await server.client()
        try await e.err("AUTH EXTERNAL jwt not.a.jwt", "unauthenticated")
        try await e.err("AUTH EXTERNAL gamecenter \(expired)", "not_found")
        try await server.stop()
    }

    @Test func linkingAnIdentityKeepsTheAnonymousAccount() async throws {
        let server = try await TestServer.start()
        let (a, me) = try await server.player("anon")
        let subject = "apple-\(UUID().uuidString)"
        let token = try await TokenFactory.token(subject: subject)
        let linked = try await a.ok("LINK EXTERNAL jwt \(token)")
        #expect(linked["player"]?.stringValue == me.player)
        let b = try await server.client()
        let login = try await b.ok("AUTH EXTERNAL jwt \(token)")
        #expect(login["player"]?.stringValue == me.player)
        #expect(login["new"]?.boolValue == false)
        // Someone else cannot take it.
        let (c, _) = try await server.player("thief")
        try await c.err("LINK EXTERNAL jwt \(token)", "conflict")
        try await server.stop()
    }
}
