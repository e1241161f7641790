import PlyProtocol
import PlyClient
import PlyJSON
import Testing

@Suite struct ServerLineTests {
    static let replies: [(String, String?, PlyReply)] = [
        ("OK", nil, .ok(nil)),
        ("OK\r", nil, .ok(nil)),
        ("#1 OK", "#1", .ok(nil)),
        (#"#17 OK {"match":"m3","ply":4}"#, "#17", .ok(["match": "m3", "ply": 4])),
        (#"OK ["f5","d6"]"#, nil, .ok(["f5", "d6"])),
        ("ERR not_found no such match m9", nil, .error(code: "not_found", message: "no such match m9")),
        ("#2 ERR stale_ply expected ply 5", "#2", .error(code: "stale_ply", message: "expected ply 5")),
        ("ERR internal", nil, .error(code: "internal", message: "")),
    ]

    @Test(arguments: replies)
    func readsReplies(line: String, tag: String?, reply: PlyReply) throws {
        #expect(try ServerLine(parsing: line) == .reply(tag: tag, reply))
    }

    @Test func eventsCarryTheirSeq() throws {
        let line = #"EVENT move {"match":"m1","ply":3,"move":"f5","seq":42}"#
        guard case .event(let e) = try ServerLine(parsing: line) else {
            Issue.record("not an event")
            return
        }
        #expect(e.type == "move")
        #expect(e.seq == 42)
        #expect(e.body["move"] == "f5")
    }

    @Test func helloHasNoSeq() throws {
        let line = #"EVENT hello {"server":"ply","version":"0.1.0","protocol":1}"#
        #expect(try ServerLine(parsing: line) == .event(PlyEvent(type: "hello", body: ["server": "ply", "version": "0.1.0", "protocol": 1])))
    }

    @Test(arguments: ["", "+PONG", "HELLO world", "OK {bad", "ERR", "EVENT", "EVENT move [1]", "#4 EVENT move {}", "ok"])
    func unreadableLines(line: String) {
        #expect(throws: ServerLine.ParseError.self) { try ServerLine(parsing: line) }
    }
}

@Suite struct PendingRequestsTests {
    @Test func tagsCountUpAndRepliesMatchInAnyOrder() {
        var book = PendingRequests<String>()
        let tags = ["a", "b", "c"].map { book.issue($0) }
        #expect(tags == ["#1", "#2", "#3"])
        #expect(book.resolve(tag: "#2") == "b")
        #expect(book.resolve(tag: "#3") == "c")
        #expect(book.resolve(tag: "#1") == "a")
        #expect(book.isEmpty)
    }

    @Test func aRepeatedOrUnknownTagAnswersNobody() {
        var book = PendingRequests<Int>()
        let tag = book.issue(1)
        #expect(book.resolve(tag: tag) == 1)
        #expect(book.resolve(tag: tag) == nil)
        #expect(book.resolve(tag: "#99") == nil)
        #expect(book.resolve(tag: "#x") == nil)
        #expect(book.resolve(tag: "7") == nil)
    }

    /// `ERR too_long` comes without a tag; replies keep request order, so it is the oldest's.
    @Test func anUntaggedReplyAnswersTheOldestOpenRequest() {
        var book = PendingRequests<String>()
        _ = book.issue("first")
        let second = book.issue("second")
        _ = book.issue("third")
        #expect(book.resolve(tag: nil) == "first")
        #expect(book.resolve(tag: second) == "second")
        #expect(book.resolve(tag: nil) == "third")
        #expect(book.resolve(tag: nil) == nil)
    }

    @Test func removeAllReturnsOldestFirst() {
        var book = PendingRequests<Int>()
        for i in 0..<20 { _ = book.issue(i) }
        _ = book.resolve(tag: "#5")
        #expect(book.removeAll() == Array(0..<20).filter { $0 != 4 })
        #expect(book.count == 0)
        #expect(book.issue(99) == "#21", "tags are never reused, so a late reply cannot answer a new request")
    }
}
