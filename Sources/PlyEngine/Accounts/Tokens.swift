import Crypto
import Foundation
import PlyProtocol

/// Session tokens: 256 random bits, handed to the client once and stored only as SHA-256.
public enum SessionToken {
    public static func mint() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return base64url(bytes)
    }

    public static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Array(token.utf8)))
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Device ids are bearer credentials too; they are stored hashed.
public enum DeviceCredential {
    public static func hash(_ deviceID: String) -> Data {
        Data(SHA256.hash(data: Array("device:\(deviceID)".utf8)))
    }
}

/// The operators' token, compared without leaking its length or its first difference
/// through timing: both sides are hashed, and the digests compared in full.
public enum AdminToken {
    public static let minimumLength = 32

    static func matches(_ given: String, _ expected: String) -> Bool {
        let a = SHA256.hash(data: Data(given.utf8))
        let b = SHA256.hash(data: Data(expected.utf8))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Email confirmation codes: 8 random digits, kept as SHA-256 with the email (the outbox row
/// holds the code itself until it is mailed, or the address confirmed). Ten wrong tries in
/// 15 minutes per player leave a guesser one chance in ten million per 15 minutes.
public enum ConfirmationCode {
    public static func mint() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<ProtocolLimits.confirmationCodeDigits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
    }

    public static func hash(_ code: String) -> Data {
        Data(SHA256.hash(data: Array("confirm:\(code)".utf8)))
    }
}
