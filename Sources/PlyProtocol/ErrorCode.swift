/// The error codes of the protocol. The code travels to the client; details go to the log.
public enum ErrorCode: String, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case tooLong = "too_long"
    case unknownCommand = "unknown_command"
    case unauthenticated
    case forbidden
    case notFound = "not_found"
    case conflict
    case illegalMove = "illegal_move"
    case notYourTurn = "not_your_turn"
    case stalePly = "stale_ply"
    case gameOver = "game_over"
    case rateLimited = "rate_limited"
    case unavailable
    case `internal`
}

/// A failure that becomes `ERR <code> <message>` on the wire.
public struct PlyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue) \(message)" }

    public static func badRequest(_ m: String) -> PlyError { PlyError(.badRequest, m) }
    public static func notFound(_ m: String) -> PlyError { PlyError(.notFound, m) }
    public static func forbidden(_ m: String) -> PlyError { PlyError(.forbidden, m) }
    public static func conflict(_ m: String) -> PlyError { PlyError(.conflict, m) }
    public static func unauthenticated(_ m: String) -> PlyError { PlyError(.unauthenticated, m) }
    public static func unavailable(_ m: String = "the change cannot be made durable now; retry") -> PlyError {
        PlyError(.unavailable, m)
    }
}
