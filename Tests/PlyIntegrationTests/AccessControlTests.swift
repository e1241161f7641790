import Foundation
import PlyJSON
import Testing

/// Who may do what: one test per rule.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct AccessControlTests {
    @Test func onlyPlayersMoveResignOrOfferDraws() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi", settings: Table.publicSettings)
        let (w, _) = try await server.player("watcher")
        try await w.ok("WATCH \(t.match)")
        try await w.err("MOVE \(t.match) 1 f5", "forbidden")
        try await w.err("RESIGN \(t.match)", "forbidden")
        try await w.err("DRAW \(t.match) offer", "forbidden")
        try await w.err("DRAW \(t.match) accept", "forbidden")
        try await w.err("ACCEPT \(t.match)", "conflict")
        #expect(try await t.first.ok("MATCH \(t.match)")["ply"]?.intValue == 0, "nothing changed")
        try await server.stop()
    }

    @Test func theDataBlobAndNotificationsAreTheOwnersOnly() async throws {
        let server = try await TestServer.start()
        let (a, ann) = try await server.player("owner")
        try await a.ok(#"PROFILE SET {"secret":"only mine"}"#)
        let (b, bo) = try await server.player("snoop")
        #expect(try await b.ok("PROFILE \(ann.player)")["data"] == nil)
        // A notification for Ann (she is away when challenged).
        await a.close()
        try await b.waitOffline(ann.player)
        let challenge = try await b.ok("CHALLENGE \(ann.player) reversi")
        let match = try #require(challenge["match"]?.stringValue)
        let back = try await server.client()
        try await back.ok("AUTH SESSION \(ann.session)")
        let notes = try #require(try await back.ok("NOTIFICATIONS").arrayValue)
        let id = try #require(notes.first { $0["match"]?.stringValue == match }?["id"]?.stringValue)
        try await b.err("SEEN \(id)", "not_found")  // Bo cannot mark Ann's notification
        #expect(try await b.ok("NOTIFICATIONS").arrayValue?.contains { $0["id"]?.stringValue == id } == false)
        #expect(try await back.ok("NOTIFICATIONS").arrayValue?.count == notes.count, "still unread for Ann")
        _ = bo
        try await server.stop()
    }

    @Test func aSessionTokenBelongsToOnePlayer() async throws {
        let server = try await TestServer.start()
        let (_, ann) = try await server.player("ann")
        let (_, bo) = try await server.player("bo")
        let c = try await server.client()
        let r = try await c.ok("AUTH SESSION \(ann.session)")
        #expect(r["player"]?.stringValue == ann.player)
        #expect(r["player"]?.stringValue != bo.player)
        // A token with one character changed is nobody's.
        var forged = Array(bo.session)
        forged[0] = forged[0] == "A" ? "B" : "A"
        let d = try await server.client()
        try await d.err("AUTH SESSION \(String(forged))", "unauthenticated")
        try await server.stop()
    }
}
