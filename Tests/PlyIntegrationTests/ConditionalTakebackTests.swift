import Foundation
import PlyEngine
import PlyJSON
import PlyRules
import PlyServer
import Testing

/// Reversi's legal moves after some moves, for lines that must be legal.
func reversiLegal(after moves: [String]) throws -> [String] {
    var s = try GameState(game: try #require(GameCatalog.game("reversi")), settings: [:])
    for m in moves { s = try s.applying(m).state }
    return s.legalMoves()
}

/// `CONDITIONAL` and `TAKEBACK` through TCP against a real server and PostgreSQL.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct ConditionalTakebackIntegrationTests {
    @Test func aConditionalLineFiresAndSurvivesARestart() async throws {
        var server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await server.play(t, ["f5"])
        let answer = try #require(try reversiLegal(after: ["f5", "d6"]).first)
        let stored = try await t.first.ok("CONDITIONAL \(t.match) 2 d6; \(answer)")
        #expect(stored["lines"] == [["ply": 2, "moves": ["d6", .string(answer)]]])
        try await server.stop()

        // The line is durable: a new server plays it when Bo's move matches.
        server = try await TestServer.start()
        let ann = try await server.client()
        _ = try await ann.ok("AUTH SESSION \(t.firstSession)")
        let bo = try await server.client()
        _ = try await bo.ok("AUTH SESSION \(t.secondSession)")
        #expect(try await ann.ok("CONDITIONAL \(t.match)")["lines"]?.arrayValue?.count == 1)
        let reply = try await bo.ok("MOVE \(t.match) 2 d6")
        #expect(reply["ply"]?.intValue == 2)
        #expect(reply["to_move"]?.stringValue == t.secondID)
        #expect(reply["conditional"]?["move"]?.stringValue == answer)
        // Both players see both moves, in order; the reply is marked.
        let first = try await ann.event("move", of: t.match)
        let second = try await ann.event("move", of: t.match)
        #expect(first["ply"]?.intValue == 2)
        #expect(second["ply"]?.intValue == 3)
        #expect(second["conditional"]?.boolValue == true)
        let seen = try await bo.event("move", of: t.match)
        #expect(seen["ply"]?.intValue == 3)
        #expect(seen["move"]?.stringValue == answer)
        let m = try await bo.ok("MATCH \(t.match)")
        #expect(m["moves"] == ["f5", "d6", .string(answer)])
        #expect(try await ann.ok("CONDITIONAL \(t.match)")["lines"] == [], "used up")
        try await server.stop()
    }

    @Test func aLineThatDoesNotMatchIsDroppedAndIllegalOnesAreRefused() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await server.play(t, ["f5"])
        let answer = try #require(try reversiLegal(after: ["f5", "d6"]).first)
        let m = t.match
        let illegal = try await t.first.err("CONDITIONAL \(m) 2 d6; a1", "illegal_move")
        #expect(illegal.contains("move 2"))
        try await t.first.err("CONDITIONAL \(m) 2 a1; \(answer)", "illegal_move")
        try await t.first.err("CONDITIONAL \(m) 3 d6; \(answer)", "stale_ply")
        try await t.first.err("CONDITIONAL \(m) 2 d6", "bad_request")
        try await t.second.err("CONDITIONAL \(m) 2 d6; \(answer)", "forbidden")
        #expect(try await t.first.ok("CONDITIONAL \(m)")["lines"] == [], "nothing refused was stored")
        try await t.first.ok("CONDITIONAL \(m) 2 d6; \(answer)")
        #expect(try await t.first.ok("CONDITIONAL \(m) clear")["lines"] == [])
        try await t.first.ok("CONDITIONAL \(m) 2 d6; \(answer)")
        // Bo plays another move: no reply, and the line is gone.
        let reply = try await t.second.ok("MOVE \(m) 2 f6")
        #expect(reply["conditional"] == nil)
        #expect(reply["to_move"]?.stringValue == t.firstID)
        #expect(try await t.first.event("move", of: m)["ply"]?.intValue == 2)
        #expect(await !t.first.hasEvent("move", within: .milliseconds(300)))
        #expect(try await t.first.ok("CONDITIONAL \(m)")["lines"] == [])
        #expect(try await t.first.ok("MATCH \(m)")["moves"] == ["f5", "f6"])
        try await server.stop()
    }

    /// A takeback in a clocked match keeps the clocks (stored, and shown to both): the
    /// offerer's bank stands, the running turn keeps what it spent, and the offerer's new
    /// turn ends when their bank runs out.
    @Test func aTakebackKeepsTheClocksStored() async throws {
        let server = try await TestServer.start()
        let settings = #"{"side":"first","clock":{"initial":1000,"increment":30,"max":1200}}"#
        let t = try await server.table("reversi", settings: settings)
        try await t.first.ok("MOVE \(t.match) 1 f5")  // Ann: at most 1000 left + 30
        _ = try await t.second.event("move", of: t.match)
        try await t.first.ok("TAKEBACK \(t.match) offer")
        _ = try await t.second.event("takeback", of: t.match)
        let undone = try await t.second.ok("TAKEBACK \(t.match) accept")
        let clocks = try #require(undone["clocks"]?.objectValue)
        let ann = try #require(clocks[t.firstID]?.intValue), bo = try #require(clocks[t.secondID]?.intValue)
        #expect((1020...1030).contains(ann), "Ann's bank after her move: \(ann)")
        #expect((990...1000).contains(bo), "Bo's running turn spent a little, with no increment: \(bo)")
        #expect(undone["to_move"]?.stringValue == t.firstID)
        let event = try await t.first.event("undo", of: t.match)
        #expect(event["clocks"] == undone["clocks"])
        // MATCH, read from the match as committed, shows Ann's turn running on her bank.
        let match = try await t.first.ok("MATCH \(t.match)")
        let left = try #require(match["clocks"]?.objectValue?[t.firstID]?.intValue)
        #expect(abs(left - ann) <= 2, "Ann's turn runs on her bank: \(left)")
        try await server.stop()
    }

    @Test func takebacksAcceptedDeclinedAndRefusedAfterTheEnd() async throws {
        var server = try await TestServer.start()
        let t = try await server.table("reversi")
        let m = t.match
        let a3 = try #require(try reversiLegal(after: ["f5", "d6"]).first)
        try await server.play(t, ["f5", "d6", a3])
        // Declined: Ann's offer, and she may not offer again before the next move.
        try await t.first.ok("TAKEBACK \(m) offer")
        let offer = try await t.second.event("takeback", of: m)
        #expect(offer["by"]?.stringValue == t.firstID)
        #expect(offer["state"]?.stringValue == "offered")
        try await t.first.err("TAKEBACK \(m) accept", "conflict")
        try await t.second.ok("TAKEBACK \(m) decline")
        #expect(try await t.first.event("takeback", of: m)["state"]?.stringValue == "declined")
        try await t.first.err("TAKEBACK \(m) offer", "rate_limited")
        // Accepted: Bo's d6 and Ann's reply after it are taken back.
        try await t.second.ok("TAKEBACK \(m) offer")
        #expect(try await t.first.event("takeback", of: m)["state"]?.stringValue == "offered")
        let accepted = try await t.first.ok("TAKEBACK \(m) accept")
        #expect(accepted["ply"]?.intValue == 1)
        #expect(accepted["to_move"]?.stringValue == t.secondID)
        #expect(accepted["undone"] == ["d6", .string(a3)])
        #expect(try await t.second.event("takeback", of: m)["state"]?.stringValue == "accepted")
        let undo = try await t.second.event("undo", of: m)
        #expect(undo["ply"]?.intValue == 1)
        try await server.stop()

        // The stored history is the one that stands: a new server replays it, and the ply
        // taken back is played otherwise.
        server = try await TestServer.start()
        let ann = try await server.client()
        _ = try await ann.ok("AUTH SESSION \(t.firstSession)")
        let bo = try await server.client()
        _ = try await bo.ok("AUTH SESSION \(t.secondSession)")
        #expect(try await bo.ok("MATCH \(m)")["moves"] == ["f5"])
        try await bo.ok("MOVE \(m) 2 f6")
        #expect(try await ann.ok("MATCH \(m)")["moves"] == ["f5", "f6"])
        // After the end: refused.
        try await ann.ok("TAKEBACK \(m) offer")
        try await bo.ok("RESIGN \(m)")
        try await ann.err("TAKEBACK \(m) offer", "game_over")
        try await bo.err("TAKEBACK \(m) accept", "game_over")
        try await server.stop()
    }
}
