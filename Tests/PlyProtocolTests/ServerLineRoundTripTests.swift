import PlyJSON
import PlyProtocol
import Testing

/// What the server writes (`Reply`, `Event`, `NumberedEvent`) the client reads back
/// (`ServerLine`) as the same reply or event: both sides of a line live in this module.
@Suite struct ServerLineRoundTripTests {
    static func read(_ line: String) throws -> ServerLine {
        #expect(line.hasSuffix("\n"))
        return try ServerLine(parsing: String(line.dropLast()))
    }

    @Test(arguments: [nil, "#17"])
    func repliesComeBackAsWritten(tag: String?) throws {
        #expect(try Self.read(Reply.ok(nil).line(tag: tag)) == .reply(tag: tag, .ok(nil)))
        let body: JSONValue = ["match": "m1", "ply": 3, "result": .null, "moves": ["f5", "d6"]]
        #expect(try Self.read(Reply.ok(body).line(tag: tag)) == .reply(tag: tag, .ok(body)))
        let error = PlyError(.stalePly, "the next ply is 4\nsecond line")
        #expect(
            try Self.read(Reply.error(error).line(tag: tag))
                == .reply(tag: tag, .error(code: "stale_ply", message: "the next ply is 4 second line")))
    }

    @Test func eventsComeBackWithTheirNumber() throws {
        let event = Event("move", ["match": "m1", "ply": 1, "move": "f5"])
        #expect(try Self.read(event.line) == .event(PlyEvent(type: "move", body: event.body)))
        let numbered = try Self.read(NumberedEvent(event).line(seq: 42))
        guard case .event(let e) = numbered else {
            Issue.record("not an event: \(numbered)")
            return
        }
        #expect(e.type == "move" && e.seq == 42)
        #expect(e.body["move"] == "f5")
        #expect(try Self.read(NumberedEvent(Event("hello", [:])).line(seq: 1)) == .event(PlyEvent(type: "hello", body: ["seq": 1], seq: 1)))
    }
}
