/// Why a client call failed.
public enum PlyClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered `ERR <code> <message>`.
    case server(code: String, message: String)
    /// No connection: never connected, closed, or dropped and not yet resumed.
    case notConnected
    /// The connection ended before the reply came; the request may or may not have run
    /// (moves carry a ply number, so retrying them after `resume()` is safe).
    case connectionClosed
    /// A request line must be one line: it may not contain a newline.
    case invalidRequest(String)
    /// The reply came but does not have the shape the call expects.
    case unexpectedReply(String)
    /// `resume()` needs a session token from an earlier `AUTH`.
    case noSession

    public var description: String {
        switch self {
        case .server(let code, let message): "ERR \(code) \(message)"
        case .notConnected: "not connected"
        case .connectionClosed: "the connection closed before the reply"
        case .invalidRequest(let why): "invalid request: \(why)"
        case .unexpectedReply(let line): "unexpected reply: \(line.prefix(200))"
        case .noSession: "no session to resume; log in first"
        }
    }
}
