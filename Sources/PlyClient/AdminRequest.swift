import PlyProtocol
import PlyJSON

/// One operator request as `ply admin <verb> <args...>` sends it (PROTOCOL.md, "Operators"):
/// `AUTH ADMIN <token>` makes the connection an operator's, then `ADMIN <VERB> <args...>` is
/// the request. Building the lines is pure, so the command line's rules are tested without a
/// server.
public struct AdminRequest: Sendable, Hashable {
    /// `AUTH ADMIN <token>`.
    public let authentication: String
    /// `ADMIN <VERB> <args...>`: the verb in capitals, the arguments joined by single spaces,
    /// so a reason may come as one quoted argument or as several words.
    public let line: String

    /// Why the lines cannot be sent; the description is for the operator.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String

        public init(_ description: String) {
            self.description = description
        }
    }

    public init(verb: String, arguments: [String], token: String) throws(Invalid) {
        guard !token.isEmpty, !token.contains(where: { $0.isWhitespace || $0.isASCIIControl }) else {
            throw Invalid("the admin token must be one word")
        }
        guard !verb.isEmpty, verb.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw Invalid("the verb must be a word such as player, ban or reports, not \"\(verb)\"")
        }
        // The server splits on spaces, so an empty argument would vanish and shift the ones
        // after it into the wrong places; a line break would end the request early.
        for argument in arguments {
            guard !argument.isEmpty else { throw Invalid("an argument is empty") }
            guard !argument.contains(where: \.isASCIIControl) else {
                throw Invalid("an argument holds a line break or another control character")
            }
        }
        authentication = "AUTH ADMIN \(token)"
        line = (["ADMIN", verb.uppercased()] + arguments).joined(separator: " ")
    }
}

extension AdminRequest {
    /// What `ply admin` makes of a reply.
    public enum Outcome: Sendable, Hashable {
        /// `OK`: the reply's JSON (`null` for a bare `OK`) for standard output; exit status 0.
        case printed(String)
        /// `ERR code message`: `error: code message` for standard error; exit status 1.
        case failed(String)

        public init(_ reply: PlyReply) {
            switch reply {
            case .ok(let value): self = .printed(value?.description ?? "null")
            case .error(let code, let message):
                self = .failed(message.isEmpty ? "error: \(code)" : "error: \(code) \(message)")
            }
        }
    }
}

extension Character {
    /// U+0000 to U+001F and U+007F, line breaks among them.
    fileprivate var isASCIIControl: Bool {
        unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}
