import PlyProtocol
import PlyClient
import PlyJSON
import Testing

@Suite struct AdminRequestTests {
    static let lines: [(String, [String], String)] = [
        ("player", ["p7"], "ADMIN PLAYER p7"),
        ("Ban", ["p7", "3600", "spamming", "the", "lobby"], "ADMIN BAN p7 3600 spamming the lobby"),
        ("ban", ["p7", "forever", "spamming the lobby"], "ADMIN BAN p7 forever spamming the lobby"),
        ("reports", [], "ADMIN REPORTS"),
        ("bot", ["p9", "on"], "ADMIN BOT p9 on"),
        ("resolve", ["r12", "warned; café"], "ADMIN RESOLVE r12 warned; café"),
    ]

    @Test(arguments: lines)
    func theVerbInCapitalsThenTheArgumentsJoinedBySpaces(verb: String, arguments: [String], line: String) throws {
        let request = try AdminRequest(verb: verb, arguments: arguments, token: "t0ken")
        #expect(request.line == line)
        #expect(request.authentication == "AUTH ADMIN t0ken")
    }

    static let refused: [(String, [String], String)] = [
        ("", ["p7"], "t"),
        ("ban p7", [], "t"),
        ("ADMIN-BAN", [], "t"),
        ("ban", ["p7", "", "spam"], "t"),
        ("resolve", ["r1", "done\nADMIN DELETE p2"], "t"),
        ("resolve", ["r1", "done\r"], "t"),
        ("player", ["p7"], ""),
        ("player", ["p7"], "two words"),
        ("player", ["p7"], "token\n"),
    ]

    @Test(arguments: refused)
    func refusesWhatTheServerWouldMisread(verb: String, arguments: [String], token: String) {
        #expect(throws: AdminRequest.Invalid.self) { try AdminRequest(verb: verb, arguments: arguments, token: token) }
    }

    static let outcomes: [(PlyReply, AdminRequest.Outcome)] = [
        (.ok(nil), .printed("null")),
        (.ok(["player": "p7", "until": "forever"]), .printed(#"{"player":"p7","until":"forever"}"#)),
        (.ok([]), .printed("[]")),
        (.error(code: "forbidden", message: "not an operator connection"), .failed("error: forbidden not an operator connection")),
        (.error(code: "internal", message: ""), .failed("error: internal")),
    ]

    @Test(arguments: outcomes)
    func okPrintsTheJSONAndErrPrintsTheCodeAndMessage(reply: PlyReply, outcome: AdminRequest.Outcome) {
        #expect(AdminRequest.Outcome(reply) == outcome)
    }

    @Test func theJSONKeepsTheServersKeyOrder() throws {
        let text = #"{"player":"p7","name":"Ann","credentials":["device","email"],"banned_until":null,"bot":false}"#
        guard case .reply(_, let reply) = try ServerLine(parsing: "OK \(text)") else {
            Issue.record("not a reply")
            return
        }
        #expect(AdminRequest.Outcome(reply) == .printed(text))
    }
}
