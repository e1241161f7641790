import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import Testing

/// Two logged-in players and a started match between them; `first` moves first.
struct Table {
    var first: TestClient
    var second: TestClient
    var firstID: String
    var secondID: String
    var match: String
    var firstSession: String
    var secondSession: String

    /// An invitation anyone may watch (invitations are private unless they say so).
    static let publicSettings = #"{"side":"first","public":true}"#

    /// The second player links `email`, sets `profile` (the mail they want), and goes away:
    /// once the first player sees them offline, what happens to them is mailed.
    func secondAwayWithEmail(_ email: String, password: String = "away-password", profile: String) async throws {
        try await second.ok("LINK EMAIL \(email) \(password)")
        try await second.ok("PROFILE SET \(profile)")
        await second.close()
        try await first.waitOffline(secondID)
    }
}

extension TestServer {
    func table(_ game: String, settings: String = "") async throws -> Table {
        let (a, ann) = try await player("ann")
        let (b, bo) = try await player("bo")
        let json = settings.isEmpty ? #"{"side":"first"}"# : settings
        let created = try await a.ok("CHALLENGE \(bo.player) \(game) \(json)")
        let match = try #require(created["match"]?.stringValue)
        let challenge = try await b.event("challenge")
        #expect(challenge["match"]?.stringValue == match)
        #expect(challenge["from"]?.stringValue == ann.player)
        try await b.ok("ACCEPT \(match)")
        let start = try await a.event("start")
        #expect(start["match"]?.stringValue == match)
        _ = try await b.event("start")
        return Table(
            first: a, second: b, firstID: ann.player, secondID: bo.player, match: match,
            firstSession: ann.session, secondSession: bo.session)
    }

    /// Plays the moves alternately; returns the last reply.
    @discardableResult
    func play(_ t: Table, _ moves: [String], from ply: Int = 1) async throws -> JSONValue {
        var last: JSONValue = .null
        for (i, m) in moves.enumerated() {
            let n = ply + i
            let (mover, other) = n % 2 == 1 ? (t.first, t.second) : (t.second, t.first)
            last = try await mover.ok("MOVE \(t.match) \(n) \(m)")
            let event = try await other.event("move")
            #expect(event["ply"]?.intValue == n)
        }
        return last
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct MatchTests {
    @Test func aReversiGameToItsEnd() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let moves = try Games.playout("reversi", seed: 7)
        let last = try await server.play(t, moves)
        #expect(last["status"]?.stringValue == "finished")
        let m = try await t.first.ok("MATCH \(t.match)")
        #expect(m["moves"]?.arrayValue?.count == moves.count)
        #expect(m["status"]?.stringValue == "finished")
        #expect(m["result"]?["reason"]?.stringValue != nil)
        let profile = try await t.first.ok("PROFILE")
        #expect(profile["stats"]?["reversi"]?["played"]?.intValue == 1)
        let finished = try await t.second.ok("MATCHES finished")
        #expect(finished.arrayValue?.contains { $0["match"]?.stringValue == t.match } == true)
        try await t.first.err("MOVE \(t.match) \(moves.count + 1) pass", "game_over")
        try await t.first.err("LEGAL \(t.match)", "game_over")
        try await server.stop()
    }

    @Test func aHiveGameToItsEnd() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("hive")
        let (moves, result) = try Games.recordedHive()
        let last = try await server.play(t, moves)
        #expect(result == "WhiteWins")
        #expect(last["status"]?.stringValue == "finished")
        #expect(last["result"]?["winner"]?.stringValue == t.firstID, "white, the first seat, wins as recorded")
        try await server.stop()
    }

    @Test(arguments: ["classic", "imhotep", "dynasty"])
    func aKhetGameToItsEnd(layout: String) async throws {
        let server = try await TestServer.start()
        let t = try await server.table("khet", settings: #"{"side":"first","layout":"\#(layout)"}"#)
        let moves = try Games.playout("khet", settings: ["layout": .string(layout)], seed: 3)
        let last = try await server.play(t, moves)
        #expect(last["status"]?.stringValue == "finished")
        #expect(last["result"]?["reason"]?.stringValue == "rules")
        let m = try await t.second.ok("MATCH \(t.match)")
        #expect(m["laser"]?.arrayValue != nil, "the last laser path is part of the match")
        try await server.stop()
    }

    @Test func moveErrors() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await t.second.err("MOVE \(t.match) 1 f5", "not_your_turn")
        try await t.first.err("MOVE \(t.match) 2 f5", "stale_ply")
        let illegal = try await t.first.err("MOVE \(t.match) 1 a1", "illegal_move")
        #expect(illegal.contains("no_flip"), "the message names the broken rule: \(illegal)")
        try await t.first.err("MOVE \(t.match) 1 zz", "illegal_move")
        try await t.first.err("MOVE nosuchmatch 1 f5", "not_found")
        let (outsider, _) = try await server.player("outsider")
        try await outsider.err("MOVE \(t.match) 1 f5", "forbidden")
        try await outsider.err("RESIGN \(t.match)", "forbidden")
        try await outsider.err("DRAW \(t.match) offer", "forbidden")
        try await t.first.err("CHALLENGE \(t.secondID) chess", "not_found")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"side":"middle"}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"turn_seconds":0}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"turn_seconds":31536001}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"clock":{"initial":0}}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"clock":{"initial":60,"max":30}}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"clock":{"initial":60,"tick":1}}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) hive {"expansions":"X"}"#, "bad_request")
        try await t.first.err(#"CHALLENGE \#(t.secondID) reversi {"colour":"black"}"#, "bad_request")
        try await t.first.err("CHALLENGE p999999999 reversi", "not_found")
        try await t.first.err("ACCEPT \(t.match)", "conflict")
        try await server.stop()
    }

    @Test func retriesAreIdempotent() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let first = try await t.first.ok("MOVE \(t.match) 1 f5")
        #expect(first["duplicate"] == nil)
        let again = try await t.first.ok("MOVE \(t.match) 1 F5")
        #expect(again["duplicate"]?.boolValue == true)
        #expect(again["ply"]?.intValue == 1)
        try await t.first.err("MOVE \(t.match) 1 d3", "stale_ply")
        try await t.second.ok("MOVE \(t.match) 2 d6")
        // An older ply retried (not the latest) still answers duplicate instead of stale_ply.
        let older = try await t.first.ok("MOVE \(t.match) 1 f5")
        #expect(older["duplicate"]?.boolValue == true)
        #expect(older["ply"]?.intValue == 1)
        let m = try await t.first.ok("MATCH \(t.match)")
        #expect(m["moves"] == ["f5", "d6"])
        try await server.stop()
    }

    @Test func twoDevicesRacingOnePly() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let other = try await server.client()
        let login = try await other.ok("AUTH SESSION \(t.firstSession)")
        #expect(login["player"]?.stringValue == t.firstID)
        try await t.first.send("MOVE \(t.match) 1 f5")
        try await other.send("MOVE \(t.match) 1 d3")
        let r1 = try await t.first.reply()
        let r2 = try await other.reply()
        let oks = [r1, r2].filter { $0.hasPrefix("OK") }
        #expect(oks.count == 1, "exactly one applied: \(r1) / \(r2)")
        #expect([r1, r2].contains { $0.hasPrefix("ERR stale_ply") })
        let m = try await t.second.ok("MATCH \(t.match)")
        #expect(m["ply"]?.intValue == 1)
        // The device that lost the race sees the winner's move as an event.
        let winnerIsFirst = r1.hasPrefix("OK")
        let event = try await (winnerIsFirst ? other : t.first).event("move")
        #expect(event["ply"]?.intValue == 1)
        try await server.stop()
    }
}
