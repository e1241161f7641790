import PlyJSON
import PlyProtocol
import Testing

@Suite("Command parser: CONDITIONAL and TAKEBACK")
struct ConditionalTakebackParserTests {
    @Test("the request forms", arguments: [
        ("CONDITIONAL m1", Command.conditional(match: "m1", .list)),
        ("conditional m1 CLEAR", .conditional(match: "m1", .clear)),
        ("CONDITIONAL m1 2 d6; c3", .conditional(match: "m1", .store(ply: 2, moves: ["d6", "c3"]))),
        ("CONDITIONAL m1 2 d6;c3;c4;  b3  ", .conditional(match: "m1", .store(ply: 2, moves: ["d6", "c3", "c4", "b3"]))),
        ("CONDITIONAL m1 4 bG1 -wS1; wQ wS1/;", .conditional(match: "m1", .store(ply: 4, moves: ["bG1 -wS1", "wQ wS1/"]))),
        ("CONDITIONAL m1 7 cw g5; e6-d6", .conditional(match: "m1", .store(ply: 7, moves: ["cw g5", "e6-d6"]))),
        ("TAKEBACK m1 offer", .takeback(match: "m1", action: .offer)),
        ("takeback m1 ACCEPT", .takeback(match: "m1", action: .accept)),
        ("TAKEBACK m1 decline", .takeback(match: "m1", action: .decline)),
    ])
    func parses(line: String, command: Command) {
        #expect(CommandParser.parse(line).parsed == command)
    }

    @Test("malformed lines are bad_request", arguments: [
        "CONDITIONAL", "CONDITIONAL m/1", "CONDITIONAL m1 clear now", "CONDITIONAL m1 0 d6; c3",
        "CONDITIONAL m1 two d6; c3", "CONDITIONAL m1 2", "CONDITIONAL m1 2 d6", "CONDITIONAL m1 2 d6; c3; c4",
        "CONDITIONAL m1 2 ;;", "CONDITIONAL m1 2 d6; " + String(repeating: "c", count: 65),
        "CONDITIONAL m1 2 " + Array(repeating: "d6; c3", count: 17).joined(separator: "; "),
        "TAKEBACK", "TAKEBACK m1", "TAKEBACK m1 propose", "TAKEBACK m1 offer now",
    ])
    func refuses(line: String) {
        #expect(CommandParser.parse(line).failure?.code == .badRequest)
    }

    @Test func theLongestLineParses() {
        let line = "CONDITIONAL m1 2 " + Array(repeating: "d6; c3", count: 16).joined(separator: "; ")
        guard case .conditional(_, .store(_, let moves)) = CommandParser.parse(line).parsed else {
            Issue.record("not parsed")
            return
        }
        #expect(moves.count == 32)
        #expect(CommandParser.verbs.contains("CONDITIONAL") && CommandParser.verbs.contains("TAKEBACK"))
    }
}
