import PlyJSON

/// What the server sends: a reply to one request or an event.
public enum Reply: Sendable, Hashable {
    case ok(JSONValue?)
    case error(PlyError)

    /// The wire form, with the request's tag if it had one, ending in `\n`.
    public func line(tag: String?) -> String {
        var out = ""
        if let tag {
            out += tag
            out += " "
        }
        switch self {
        case .ok(nil):
            out += "OK"
        case .ok(let value?):
            out += "OK "
            value.write(to: &out)
        case .error(let e):
            out += "ERR "
            out += e.code.rawValue
            out += " "
            // A message must stay on one line.
            out += e.message.contains(where: \.isNewline)
                ? String(e.message.map { $0.isNewline ? " " : $0 }) : e.message
        }
        out += "\n"
        return out
    }
}

/// A server-initiated line: `EVENT <type> <json>`.
public struct Event: Sendable, Hashable {
    public var type: String
    public var body: JSONObject

    public init(_ type: String, _ body: JSONObject) {
        self.type = type
        self.body = body
    }

    public var line: String {
        var out = "EVENT "
        out += type
        out += " "
        body.write(to: &out)
        out += "\n"
        return out
    }
}

/// An event encoded once for every player it goes to, each of whom numbers it with their own
/// `seq`, written as the body's last field (a `seq` already in the body is replaced).
public struct NumberedEvent: Sendable {
    private let head: String
    private let bodyIsEmpty: Bool

    public init(_ event: Event) {
        var body = event.body
        body["seq"] = nil
        var out = "EVENT "
        out += event.type
        out += " "
        body.write(to: &out)
        out.removeLast()  // the closing brace
        head = out
        bodyIsEmpty = body.isEmpty
    }

    /// The line as `Event(type, body + ["seq": seq]).line` writes it.
    public func line(seq: Int) -> String {
        var out = head
        out += bodyIsEmpty ? "\"seq\":" : ",\"seq\":"
        out += String(seq)
        out += "}\n"
        return out
    }
}
