import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import Testing

/// `EXPORT` and `DELETE ACCOUNT` (and the operators' `ADMIN DELETE`): everything stored
/// comes out; a deleted account leaves nothing personal and every other player's history
/// intact.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct AccountRightsTests {
    /// The export holds the account, its email, a played match with its moves, its blocks,
    /// its reports and its notifications.
    @Test func exportHoldsEverythingStored() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await server.play(t, ["f5", "d6", "c3"])
        let email = "export-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await t.first.ok("LINK EMAIL \(email) correct-horse")
        try await t.first.ok(#"PROFILE SET {"theme":"dark"}"#)
        let (_, other) = try await server.player("other")
        try await t.first.ok("BLOCK \(other.player)")
        try await t.first.ok("REPORT \(other.player) spam")
        let out = try await t.first.ok("EXPORT")
        #expect(out["player"]?.stringValue == t.firstID)
        #expect(out["email"]?.stringValue == email)
        #expect(out["devices"]?.intValue == 1)
        #expect(out["data"]?["theme"]?.stringValue == "dark")
        #expect(out["blocks"] == [.string(other.player)])
        #expect(out["reports"]?.arrayValue?.first?["text"]?.stringValue == "spam")
        let match = try #require(out["matches"]?.arrayValue?.first { $0["match"]?.stringValue == t.match })
        #expect(match["moves"] == ["f5", "d6", "c3"])
        #expect(out["notifications"]?.arrayValue != nil)
        for _ in 0..<9 { try await t.first.ok("EXPORT") }
        try await t.first.err("EXPORT", "rate_limited")  // ten an hour
        // Another player's export does not hold this one's data.
        let theirs = try await t.second.ok("EXPORT")
        #expect(theirs["email"] == .null)
        #expect(theirs["blocks"] == [])
        try await server.stop()
    }

    /// Deleting an account ends its active match by forfeit, withdraws its challenges,
    /// closes all its connections, refuses its old session, frees its email, and leaves its
    /// finished matches readable by the opponent, naming it `Deleted player`.
    @Test func aDeletedAccountLeavesOthersHistoryIntact() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let t = try await server.table("reversi")
        try await server.play(t, ["f5", "d6"])
        try await t.second.ok("RESIGN \(t.match)")  // finished, rated
        let email = "leaving-\(UUID().uuidString.prefix(8))@example.com"
        try await t.first.ok("LINK EMAIL \(email) correct-horse")
        let (carl, c) = try await server.player("carl")
        let active = try #require(try await t.first.ok(#"CHALLENGE \#(c.player) hive {"side":"first"}"#)["match"]?.stringValue)
        try await carl.ok("ACCEPT \(active)")
        let open = try #require(try await t.first.ok("CHALLENGE open khet")["match"]?.stringValue)
        let otherDevice = try await server.client()
        try await otherDevice.ok("AUTH SESSION \(t.firstSession)")

        try await t.first.err("DELETE ACCOUNT \(t.secondID)", "bad_request")
        try await t.first.err("DELETE ACCOUNT", "bad_request")
        #expect(try await t.first.ok("DELETE ACCOUNT \(t.firstID)")["deleted"]?.stringValue == t.firstID)
        // Closed after the OK; on a machine busy with the whole suite that has taken over 5 s.
        #expect(await t.first.isClosed(within: .seconds(30)))
        #expect(await otherDevice.isClosed(within: .seconds(30)))

        let forfeit = try await carl.event("end", of: active)
        #expect(forfeit["result"]?["reason"]?.stringValue == "forfeit")
        #expect(forfeit["result"]?["winner"]?.stringValue == c.player)
        #expect(try await carl.ok("MATCH \(open)")["status"]?.stringValue == "aborted")

        let finished = try await t.second.ok("MATCH \(t.match)")
        #expect(finished["status"]?.stringValue == "finished")
        #expect(finished["moves"] == ["f5", "d6"])
        let gone = try #require(finished["players"]?.arrayValue?.first { $0["player"]?.stringValue == t.firstID })
        #expect(gone["name"]?.stringValue == "Deleted player")
        #expect(try await t.second.ok("PROFILE")["stats"]?["reversi"]?["lost"]?.intValue == 1, "the opponent's record stays")

        try await server.client().err("AUTH SESSION \(t.firstSession)", "unauthenticated")
        try await server.client().err("AUTH EMAIL \(email) correct-horse", "unauthenticated")
        try await carl.err("CHALLENGE \(t.firstID) reversi", "not_found")
        try await carl.ok("LINK EMAIL \(email) another-horse")  // the email may be linked again
        for table in ["devices", "sessions", "notifications", "blocks", "player_stats"] {
            #expect(try await query(database, "SELECT count(*)::text FROM \(table) WHERE player_id = '\(t.firstID)'") == ["0"], "\(table)")
        }
        #expect(try await query(database, "SELECT name FROM players WHERE id = '\(t.firstID)'") == ["Deleted player"])
        try await server.stop()
    }

    /// An operator deletes an account the same way, and it is audited.
    @Test func anOperatorDeletesAnAccount() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await OperatorTests.server(database)
        let (victim, v) = try await server.player("leaving")
        let admin = try await OperatorTests.admin(server)
        try await admin.ok("ADMIN DELETE \(v.player)")
        #expect(await victim.isClosed())
        try await admin.err("ADMIN DELETE \(v.player)", "not_found")
        #expect(try await admin.ok("ADMIN PLAYER \(v.player)")["deleted"]?.boolValue == true)
        #expect(try await query(database, "SELECT action || ' ' || target FROM audit") == ["delete \(v.player)", "delete \(v.player)"])
        try await server.stop()
    }
}
