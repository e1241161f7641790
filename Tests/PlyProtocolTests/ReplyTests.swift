import PlyJSON
import PlyProtocol
import Testing

@Suite("Replies, events and error codes")
struct ReplyTests {
    static let replies: [(Reply, String?, String)] = [
        (.ok(nil), nil, "OK\n"),
        (.ok(nil), "#17", "#17 OK\n"),
        (.ok(["match": "m1"]), nil, "OK {\"match\":\"m1\"}\n"),
        (.ok(["match": "m3", "ply": 4, "status": "active", "result": nil]), "#17",
         "#17 OK {\"match\":\"m3\",\"ply\":4,\"status\":\"active\",\"result\":null}\n"),
        (.ok(["f5", "d3"]), nil, "OK [\"f5\",\"d3\"]\n"),
        (.ok(.null), nil, "OK null\n"),
        (.ok(.string("a\nb")), nil, "OK \"a\\nb\"\n"),
        (.error(PlyError(.notYourTurn, "the match is waiting for p2")), nil, "ERR not_your_turn the match is waiting for p2\n"),
        (.error(.badRequest("usage: MOVE <match> <ply> <move>")), "#4", "#4 ERR bad_request usage: MOVE <match> <ply> <move>\n"),
        (.error(.unavailable()), nil, "ERR unavailable the change cannot be made durable now; retry\n"),
        (.error(.notFound("no such match")), nil, "ERR not_found no such match\n"),
        (.error(.forbidden("not a participant")), nil, "ERR forbidden not a participant\n"),
        (.error(.conflict("email in use")), nil, "ERR conflict email in use\n"),
        (.error(.unauthenticated("AUTH first")), nil, "ERR unauthenticated AUTH first\n"),
        // A message must not end the line early, whatever newline it holds.
        (.error(.badRequest("first\nsecond")), nil, "ERR bad_request first second\n"),
        (.error(.badRequest("a\r\nb\rc\u{2028}d\u{85}e\u{B}f")), "#t", "#t ERR bad_request a b c d e f\n"),
        (.error(PlyError(.internal, "\n")), nil, "ERR internal  \n"),
    ]

    @Test("replies render exactly", arguments: replies)
    func replyLine(reply: Reply, tag: String?, expected: String) {
        #expect(reply.line(tag: tag) == expected)
    }

    @Test("events render as EVENT type json")
    func eventLine() {
        let hello = Event("hello", ["server": "ply", "version": "0.1.0", "protocol": 1])
        #expect(hello.line == "EVENT hello {\"server\":\"ply\",\"version\":\"0.1.0\",\"protocol\":1}\n")
        let chat = Event("chat", ["match": "m1", "by": "p2", "text": "gg\nwp", "seq": 7])
        #expect(chat.line == "EVENT chat {\"match\":\"m1\",\"by\":\"p2\",\"text\":\"gg\\nwp\",\"seq\":7}\n")
        #expect(Event("end", [:]).line == "EVENT end {}\n")
    }

    @Test("an event encoded once numbers like one encoded per player")
    func numberedEvent() {
        let move = Event("move", ["match": "m1", "ply": 3, "move": "d3", "result": .null])
        let once = NumberedEvent(move)
        for seq in [1, 17, 123_456] {
            var body = move.body
            body["seq"] = .int(seq)
            #expect(once.line(seq: seq) == Event("move", body).line)
        }
        #expect(NumberedEvent(Event("end", [:])).line(seq: 5) == "EVENT end {\"seq\":5}\n")
        // A seq already in the body gives way to the player's own, still as the last field.
        let stale = NumberedEvent(Event("chat", ["seq": 9, "text": "hi"]))
        #expect(stale.line(seq: 10) == "EVENT chat {\"text\":\"hi\",\"seq\":10}\n")
    }

    /// The codes are the contract's table, word for word; a renamed case must not rename the wire code.
    @Test("error codes are the protocol's table")
    func errorCodes() {
        #expect(ErrorCode.allCases.map(\.rawValue) == [
            "bad_request", "too_long", "unknown_command", "unauthenticated", "forbidden", "not_found",
            "conflict", "illegal_move", "not_your_turn", "stale_ply", "game_over", "rate_limited",
            "unavailable", "internal",
        ])
        for code in ErrorCode.allCases {
            #expect(!code.rawValue.contains(" "))
            #expect(ErrorCode(rawValue: code.rawValue) == code)
        }
    }

    @Test("an error describes itself as code and message")
    func errorDescription() {
        #expect(PlyError(.stalePly, "expected ply 5").description == "stale_ply expected ply 5")
        #expect(PlyError.badRequest("x") == PlyError(.badRequest, "x"))
    }

    /// The path a server takes: parse, fail, answer with the request's tag on one line.
    @Test("a tagged failure answers on one tagged line", arguments: [
        "#17 MOVE m3 0 f5", "#17 FROB", "#17 PROFILE SET {\"a\\n\":1,\"a\\n\":2}", "#17",
    ])
    func taggedFailureReply(line: String) throws {
        let request = CommandParser.parse(line)
        let failure = try #require(request.failure)
        let reply = Reply.error(failure).line(tag: request.tag)
        #expect(reply.hasPrefix("#17 ERR \(failure.code.rawValue) "))
        #expect(reply.filter { $0 == "\n" }.count == 1)
        #expect(reply.last == "\n")
    }
}
