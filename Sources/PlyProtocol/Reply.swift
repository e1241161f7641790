import PlyJSON

/// What the server sends: a reply to one request or an event.
public enum Reply: Sendable, Hashable {
    case ok(JSONValue?)
    case error(PlyError)

    /// The wire form, with the request's tag if it had one, ending in `\n`.
    public func line(tag: String?) -> String {
        // Built as bytes and made a string once (see `JSONValue.write(to:)`).
        var out: [UInt8] = []
        out.reserveCapacity(256)
        if let tag {
            out += tag.utf8
            out.append(UInt8(ascii: " "))
        }
        switch self {
        case .ok(nil):
            out += "OK".utf8
        case .ok(let value?):
            out += "OK ".utf8
            value.write(to: &out)
        case .error(let e):
            out += "ERR ".utf8
            out += e.code.rawValue.utf8
            out.append(UInt8(ascii: " "))
            // A message must stay on one line.
            out += (e.message.contains(where: \.isNewline)
                ? String(e.message.map { $0.isNewline ? " " : $0 }) : e.message).utf8
        }
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
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
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out += "EVENT ".utf8
        out += type.utf8
        out.append(UInt8(ascii: " "))
        body.write(to: &out)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// An event encoded once for every player it goes to, each of whom numbers it with their own
/// `seq`, written as the body's last field (a `seq` already in the body is replaced).
public struct NumberedEvent: Sendable {
    /// The line up to the body's closing brace, as UTF-8.
    private let head: [UInt8]
    private let bodyIsEmpty: Bool

    public init(_ event: Event) {
        var body = event.body
        body["seq"] = nil
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out += "EVENT ".utf8
        out += event.type.utf8
        out.append(UInt8(ascii: " "))
        body.write(to: &out)
        out.removeLast()  // the closing brace
        head = out
        bodyIsEmpty = body.isEmpty
    }

    /// About the bytes the event holds (its line without the number).
    public var byteCount: Int { head.count }

    /// The line as `Event(type, body + ["seq": seq]).line` writes it.
    public func line(seq: Int) -> String {
        let key = bodyIsEmpty ? #""seq":"# : #","seq":"#
        let number = String(seq)
        // Written straight into the string's storage, which is allocated once at its size.
        return String(unsafeUninitializedCapacity: head.count + key.utf8.count + number.utf8.count + 2) { buffer in
            var i = buffer.initialize(fromContentsOf: head)
            i = buffer[i...].initialize(fromContentsOf: key.utf8)
            i = buffer[i...].initialize(fromContentsOf: number.utf8)
            buffer[i] = UInt8(ascii: "}")
            buffer[i + 1] = UInt8(ascii: "\n")
            return i + 2
        }
    }
}
