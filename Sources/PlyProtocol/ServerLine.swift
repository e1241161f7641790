import PlyJSON

/// The answer to one request.
public enum PlyReply: Sendable, Hashable {
    /// `OK` (nil) or `OK <json>`.
    case ok(JSONValue?)
    /// `ERR <code> <message>`; `code` is one of the protocol's stable words, the message is for people.
    case error(code: String, message: String)
}

/// A server-initiated line, `EVENT <type> <json>`.
public struct PlyEvent: Sendable, Hashable {
    public var type: String
    public var body: JSONObject
    /// The player's event number, used to resume without losing events; nil for `hello`.
    public var seq: Int?

    public init(type: String, body: JSONObject, seq: Int? = nil) {
        self.type = type
        self.body = body
        self.seq = seq
    }
}

/// One line from the server, classified: the client's reading of what `Reply.line(tag:)`,
/// `Event.line` and `NumberedEvent.line(seq:)` write, kept beside them so the two sides
/// cannot drift (a test round-trips every kind of line). Parsing is pure and Foundation-free
/// so a game on iOS or macOS can reuse it with its own transport.
public enum ServerLine: Sendable, Hashable {
    case reply(tag: String?, PlyReply)
    case event(PlyEvent)

    /// A line the client cannot read: a protocol violation, never a server-side `ERR`.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: String
        public var reason: String
        public var description: String { "unreadable server line (\(reason)): \(line.prefix(200))" }
    }

    /// Parses a line without its `\n` (a trailing `\r` is dropped).
    public init(parsing raw: Substring) throws(ParseError) {
        var line = raw
        if line.last == "\r" { line = line.dropLast() }
        var tag: String?
        if line.first == "#" {
            let end = line.firstIndex(of: " ") ?? line.endIndex
            tag = String(line[..<end])
            line = line[end...].drop(while: { $0 == " " })
        }
        let (word, rest) = Self.split(line)
        switch word {
        case "OK":
            if rest.isEmpty {
                self = .reply(tag: tag, .ok(nil))
            } else {
                do {
                    self = .reply(tag: tag, .ok(try JSONValue(parsing: String(rest))))
                } catch {
                    throw ParseError(line: String(raw), reason: "bad JSON after OK: \(error)")
                }
            }
        case "ERR":
            let (code, message) = Self.split(rest)
            guard !code.isEmpty else { throw ParseError(line: String(raw), reason: "ERR without a code") }
            self = .reply(tag: tag, .error(code: String(code), message: String(message)))
        case "EVENT" where tag == nil:
            let (type, json) = Self.split(rest)
            guard !type.isEmpty else { throw ParseError(line: String(raw), reason: "EVENT without a type") }
            let body: JSONObject
            do {
                body = json.isEmpty ? JSONObject() : try JSONValue.parseObject(String(json))
            } catch {
                throw ParseError(line: String(raw), reason: "bad JSON in event: \(error)")
            }
            self = .event(PlyEvent(type: String(type), body: body, seq: body["seq"]?.intValue))
        default:
            throw ParseError(line: String(raw), reason: "expected OK, ERR or EVENT")
        }
    }

    public init(parsing line: String) throws(ParseError) {
        try self.init(parsing: line[...])
    }

    /// The first word and the rest with its leading spaces trimmed.
    private static func split(_ s: Substring) -> (Substring, Substring) {
        guard let space = s.firstIndex(of: " ") else { return (s, s[s.endIndex...]) }
        return (s[..<space], s[s.index(after: space)...].drop(while: { $0 == " " }))
    }
}
