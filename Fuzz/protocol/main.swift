// libFuzzer target for PlyProtocol: arbitrary bytes as the lines a client sends.
//
// Built by Scripts/fuzz. The bytes are split on `\n` and each line is handled the way
// `PlayerSession.handle(line:)` does: a trailing `\r` dropped, invalid UTF-8 refused
// (skipped here), blank lines ignored. What it holds the parser and the encoders to:
// - `CommandParser.parse` answers every line, the same way twice;
// - a tag starts with `#`, has no space and at most 64 characters;
// - an accepted command has the shape the engine relies on;
// - every reply and event is exactly one line, and its JSON parses back.
import PlyJSON
import PlyProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard let text = String(validating: line, as: UTF8.self) else { continue }
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
        check(text)
    }
    return 0
}

func check(_ line: String) {
    let request = CommandParser.parse(line)
    let again = CommandParser.parse(line)
    require(again.tag == request.tag && again.command == request.command, "parse is not pure", line)
    if let tag = request.tag {
        require(tag.hasPrefix("#") && !tag.contains(" ") && tag.count <= 64, "bad tag \(tag.debugDescription)", line)
    }

    switch request.command {
    case .failure(let error):
        require(!error.message.isEmpty, "an error without a message", line)
        checkReply(.error(error), tag: request.tag, line)
    case .success(let command):
        if let problem = shapeProblem(command) { fail("accepted with a bad \(problem): \(command)", line) }
        checkReply(.ok(nil), tag: request.tag, line)
        // Echo what the command carries the way the engine would: in a reply and an event.
        let body = echo(command)
        checkReply(.ok(.object(body)), tag: request.tag, line)
        checkEvent(Event("echo", body), line)
    }
}

/// The command's own text fields as a JSON object, as replies and events carry them.
func echo(_ command: Command) -> JSONObject {
    switch command {
    case .profileSet(let data): return ["data": .object(data)]
    case .name(let name): return ["name": .string(name)]
    case .say(let match, let text): return ["match": .string(match), "text": .string(text)]
    case .move(let match, let ply, let move): return ["match": .string(match), "ply": .int(ply), "move": .string(move)]
    case .challenge(let opponent, let game, let settings):
        return ["from": .optional(opponent), "game": .string(game), "settings": .object(settings)]
    case .queue(let game, let settings): return ["game": .string(game), "settings": .object(settings)]
    case .authDevice(let device): return ["device": .string(device)]
    case .authEmail(let email, _), .linkEmail(let email, _): return ["email": .string(email)]
    case .authExternal(let provider, let token), .linkExternal(let provider, let token):
        return ["provider": .string(provider), "token": .string(token)]
    default: return ["command": .string("\(command)")]
    }
}

func checkReply(_ reply: Reply, tag: String?, _ line: String) {
    let wire = reply.line(tag: tag)
    requireOneLine(wire, line)
    var rest = Substring(wire.dropLast())
    if let tag {
        require(rest.hasPrefix(tag + " "), "reply lost its tag", line)
        rest = rest.dropFirst(tag.count + 1)
    }
    switch reply {
    case .ok(nil): require(rest == "OK", "bad OK line \(wire.debugDescription)", line)
    case .ok(let value?):
        require(rest.hasPrefix("OK "), "bad OK line \(wire.debugDescription)", line)
        checkJSON(rest.dropFirst(3), value, line)
    case .error(let error):
        require(rest.hasPrefix("ERR \(error.code.rawValue) "), "bad ERR line \(wire.debugDescription)", line)
    }
}

func checkEvent(_ event: Event, _ line: String) {
    let wire = event.line
    requireOneLine(wire, line)
    let prefix = "EVENT \(event.type) "
    require(wire.hasPrefix(prefix), "bad event line \(wire.debugDescription)", line)
    checkJSON(wire.dropFirst(prefix.count).dropLast(), .object(event.body), line)
}

/// One line: a single `\n`, at the end.
func requireOneLine(_ wire: String, _ line: String) {
    let newlines = wire.utf8.lazy.filter { $0 == 0x0A }.count
    require(newlines == 1 && wire.utf8.last == 0x0A, "not exactly one line: \(wire.debugDescription)", line)
}

func checkJSON(_ text: Substring, _ value: JSONValue, _ line: String) {
    guard let parsed = try? JSONValue(parsing: String(text)) else {
        fail("JSON on the wire does not parse: \(text.debugDescription)", line)
    }
    require(parsed == value.wireForm, "JSON on the wire reads back different: \(text.debugDescription)", line)
}

func require(_ condition: Bool, _ message: @autoclosure () -> String, _ line: String) {
    if !condition { fail(message(), line) }
}

func fail(_ message: String, _ line: String) -> Never {
    fatalError("\(message)\n  line: \(line.debugDescription)")
}
