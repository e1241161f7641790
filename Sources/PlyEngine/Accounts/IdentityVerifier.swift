import Foundation
import JWTKit

/// Configuration of the platform identities the server trusts: a studio's login service,
/// Sign in with Apple, a Steam-ticket bridge, each vouching for a player with a signed JWT.
public struct IdentityConfiguration: Sendable {
    /// Shared secret for HS256 tokens.
    public var hs256Secret: String?
    /// A JWKS document (JSON text) with public keys (RS256, ES256, ...).
    public var jwksJSON: String?
    /// Accepted `iss` values; empty accepts any issuer.
    public var issuers: [String]
    /// The `aud` value tokens must name.
    public var audience: String

    public init(hs256Secret: String? = nil, jwksJSON: String? = nil, issuers: [String] = [], audience: String = "ply") {
        self.hs256Secret = hs256Secret
        self.jwksJSON = jwksJSON
        self.issuers = issuers
        self.audience = audience
    }

    public var isEnabled: Bool { hs256Secret != nil || jwksJSON != nil }
}

/// The claims Ply reads from an identity token.
struct IdentityClaims: JWTIdentityToken {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim

    var audience: AudienceClaim { aud }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Verifies identity tokens; the identity is `(issuer, subject)`.
public struct IdentityVerifier: Sendable {
    public static let provider = "jwt"
    let keys: JWTKeyCollection?
    let configuration: IdentityConfiguration

    public init(_ configuration: IdentityConfiguration) async throws {
        self.configuration = configuration
        guard configuration.isEnabled else {
            keys = nil
            return
        }
        let keys = JWTKeyCollection()
        if let secret = configuration.hs256Secret {
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        if let jwks = configuration.jwksJSON {
            try await keys.add(jwksJSON: jwks)
        }
        self.keys = keys
    }

    public enum Failure: Error, Equatable {
        case unknownProvider, disabled, invalid(String)
    }

    public func verify(provider: String, token: String) async throws(Failure) -> (issuer: String, subject: String) {
        guard provider == Self.provider else { throw .unknownProvider }
        guard let keys else { throw .disabled }
        let claims: IdentityClaims
        do {
            claims = try await keys.verify(token, as: IdentityClaims.self, expectedAudience: configuration.audience)
        } catch {
            throw .invalid("\(error)")
        }
        if !configuration.issuers.isEmpty && !configuration.issuers.contains(claims.iss.value) {
            throw .invalid("issuer not trusted")
        }
        guard !claims.sub.value.isEmpty else { throw .invalid("empty subject") }
        return (claims.iss.value, claims.sub.value)
    }
}
