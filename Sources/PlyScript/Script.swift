import PlyJSON

/// A parsed `ply script` file: what each named player sends and what it must get back.
///
/// The file is read line by line (`Script(parsing:)`):
///
/// ```
/// # Ann opens a challenge, Bo takes it.
/// ann> AUTH DEVICE ann-$run
/// ann< OK {"player":$ann,"new":true}
/// ann> CHALLENGE open reversi {"side":"first"}
/// ann< OK {"match":$m}
/// bo> ACCEPT $m
/// bo< EVENT start {"match":$m,"to_move":$ann}
/// ```
///
/// - `NAME> request`: sends the request line as player `NAME` (a connection of its own,
///   opened on first use) and waits for its reply. `$var` is replaced by a captured value
///   (a string as it is, anything else as JSON); `$$` is a literal `$`.
/// - `NAME< OK [pattern]` / `NAME< ERR code [message start]`: the reply to `NAME`'s latest
///   request. A pattern is JSON in which an object lists only the fields that must be there
///   (recursively), an array lists every element, and `$var` in place of a value captures
///   it on first use and must equal it afterwards; `$_` matches any value.
/// - `NAME< EVENT type [pattern]`: waits for the next event of that type on `NAME`'s
///   connection (events of other types are left for later expectations).
/// - `#` starts a comment line; blank lines are ignored. `$run` is predefined: a short
///   random word, the same for the whole run, for device ids and emails that must be new.
public struct Script: Sendable, Hashable {
    public var steps: [Step]

    public init(steps: [Step]) { self.steps = steps }

    /// One line of the script that does something.
    public struct Step: Sendable, Hashable {
        /// The 1-based line number in the file.
        public var line: Int
        public var player: String
        public var action: Action
        /// The line as written, for messages.
        public var text: String

        public init(line: Int, player: String, action: Action, text: String) {
            self.line = line
            self.player = player
            self.action = action
            self.text = text
        }
    }

    public enum Action: Sendable, Hashable {
        /// A request line, with `$var`s still in it.
        case send(String)
        case expectReply(ReplyPattern)
        case expectEvent(type: String, body: JSONValue?)
    }

    /// What a reply must be.
    public enum ReplyPattern: Sendable, Hashable {
        /// `OK`, with a pattern its JSON must match (nil: any JSON, or none).
        case ok(JSONValue?)
        /// `ERR code`, with the start its message must have (nil: any message).
        case error(code: String, messagePrefix: String?)
    }

    /// The number of expectations (reply and event lines).
    public var expectationCount: Int {
        steps.count { if case .send = $0.action { false } else { true } }
    }
}

/// A line the script parser cannot read.
public struct ScriptParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

extension Script {
    /// Parses a script's text (see `Script`).
    public init(parsing text: String) throws(ScriptParseError) {
        var steps: [Step] = []
        // Whether each player's latest request still waits for its reply expectation.
        var awaitingReply: [String: Bool] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            guard let mark = trimmed.firstIndex(where: { $0 == ">" || $0 == "<" }) else {
                throw ScriptParseError(line: number, reason: "expected NAME> request or NAME< expectation")
            }
            let player = String(trimmed[..<mark])
            guard Self.isName(player[...]) else {
                throw ScriptParseError(line: number, reason: "a player's name is letters, digits, _ and -, not \"\(player)\"")
            }
            let rest = String(trimmed[trimmed.index(after: mark)...].drop(while: { $0 == " " }))
            let action: Action
            if trimmed[mark] == ">" {
                guard !rest.isEmpty else { throw ScriptParseError(line: number, reason: "an empty request") }
                guard rest.first != "#" else {
                    throw ScriptParseError(line: number, reason: "requests are sent without a tag (the runner adds its own)")
                }
                action = .send(rest)
                awaitingReply[player] = true
            } else {
                action = try Self.expectation(rest, line: number)
                if case .expectReply = action {
                    guard awaitingReply[player] == true else {
                        throw ScriptParseError(line: number, reason: "a reply expectation without a request of \(player)'s before it")
                    }
                    awaitingReply[player] = false
                }
            }
            steps.append(Step(line: number, player: player, action: action, text: String(trimmed)))
        }
        self.init(steps: steps)
    }

    private static func expectation(_ text: String, line: Int) throws(ScriptParseError) -> Action {
        let (word, rest) = split(text[...])
        switch word {
        case "OK":
            return .expectReply(.ok(rest.isEmpty ? nil : try pattern(rest, line: line)))
        case "ERR":
            let (code, message) = split(rest)
            guard !code.isEmpty else { throw ScriptParseError(line: line, reason: "ERR without a code") }
            return .expectReply(.error(code: String(code), messagePrefix: message.isEmpty ? nil : String(message)))
        case "EVENT":
            let (type, body) = split(rest)
            guard !type.isEmpty else { throw ScriptParseError(line: line, reason: "EVENT without a type") }
            return .expectEvent(type: String(type), body: body.isEmpty ? nil : try pattern(body, line: line))
        default:
            throw ScriptParseError(line: line, reason: "an expectation is OK, ERR or EVENT, not \"\(word)\"")
        }
    }

    private static func pattern(_ text: Substring, line: Int) throws(ScriptParseError) -> JSONValue {
        do {
            return try JSONPattern.parse(String(text))
        } catch {
            throw ScriptParseError(line: line, reason: "bad JSON pattern: \(error)")
        }
    }

    static func isName(_ s: Substring) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// The first word and the rest with its leading spaces trimmed.
    private static func split(_ s: Substring) -> (Substring, Substring) {
        guard let space = s.firstIndex(of: " ") else { return (s, s[s.endIndex...]) }
        return (s[..<space], s[s.index(after: space)...].drop(while: { $0 == " " }))
    }
}
