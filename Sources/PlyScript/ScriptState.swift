import PlyJSON
import PlyProtocol

/// A script's captures and its checks: what the runner asks after each request and event.
/// No I/O here; the runner sends, receives and hands what it got to these methods.
public struct ScriptState: Sendable {
    public private(set) var bindings: [String: JSONValue]

    /// `run` is the value of the predefined `$run`.
    public init(run: String) {
        bindings = ["run": .string(run)]
    }

    /// The request with its `$var`s replaced: a string as it is, any other value as JSON;
    /// `$$` is a `$`. A name captured by no earlier expectation fails the step.
    public func expand(_ request: String, step: Script.Step) throws(ScriptFailure) -> String {
        var rest = request[...]
        while let dollar = rest.firstIndex(of: "$") {
            let after = rest[rest.index(after: dollar)...]
            if after.first == "$" {
                rest = after.dropFirst()
                continue
            }
            let name = String(after.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }))
            if !name.isEmpty && bindings[name] == nil {
                throw ScriptFailure(step: step, expected: "a value for $\(name)", got: "nothing captured under that name yet")
            }
            rest = after.dropFirst(name.count)
        }
        return JSONPattern.expand(request, bindings: bindings)
    }

    /// Checks the reply to a player's latest request.
    public mutating func check(reply: PlyReply, against pattern: Script.ReplyPattern, step: Script.Step) -> ScriptFailure? {
        let got = Self.describe(reply)
        switch (pattern, reply) {
        case (.ok(nil), .ok):
            return nil
        case (.ok(let want?), .ok(let have)):
            guard let mismatch = JSONPattern.match(want, have ?? .null, bindings: &bindings) else { return nil }
            return ScriptFailure(step: step, expected: "OK " + JSONPattern.render(want), got: got, detail: mismatch.description)
        case (.error(let code, let written), .error(let haveCode, let message)):
            // Captures in the message are replaced; an unknown name stays as written.
            let prefix = written.map { JSONPattern.expand($0, bindings: bindings) }
            if code == haveCode && (prefix.map { message.hasPrefix($0) } ?? true) { return nil }
            return ScriptFailure(step: step, expected: "ERR \(code)" + (prefix.map { " \($0)..." } ?? ""), got: got)
        case (.ok(let want), .error):
            return ScriptFailure(step: step, expected: "OK" + (want.map { " " + JSONPattern.render($0) } ?? ""), got: got)
        case (.error(let code, let prefix), .ok):
            return ScriptFailure(step: step, expected: "ERR \(code)" + (prefix.map { " \($0)..." } ?? ""), got: got)
        }
    }

    /// Checks the event a player's expectation waited for; nil when none came in time.
    public mutating func check(event: PlyEvent?, type: String, body: JSONValue?, step: Script.Step, waited: Duration) -> ScriptFailure? {
        let expected = "EVENT \(type)" + (body.map { " " + JSONPattern.render($0) } ?? "")
        guard let event else {
            return ScriptFailure(step: step, expected: expected, got: "no \(type) event within \(waited)")
        }
        guard let body, let mismatch = JSONPattern.match(body, .object(event.body), bindings: &bindings) else { return nil }
        return ScriptFailure(step: step, expected: expected, got: "EVENT \(event.type) \(event.body)", detail: mismatch.description)
    }

    static func describe(_ reply: PlyReply) -> String {
        switch reply {
        case .ok(nil): "OK"
        case .ok(let value?): "OK \(value)"
        case .error(let code, let message): message.isEmpty ? "ERR \(code)" : "ERR \(code) \(message)"
        }
    }
}

/// The first expectation that did not hold, or a request that could not be made.
public struct ScriptFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    /// The script's line as written.
    public var text: String
    public var expected: String
    public var got: String
    /// Where in the JSON the difference is, when the reply or event was JSON.
    public var detail: String?

    public init(step: Script.Step, expected: String, got: String, detail: String? = nil) {
        self.line = step.line
        self.text = step.text
        self.expected = expected
        self.got = got
        self.detail = detail
    }

    public var description: String {
        var s = "line \(line): \(text)\n  expected: \(expected)\n  got:      \(got)"
        if let detail { s += "\n  (\(detail))" }
        return s
    }
}
