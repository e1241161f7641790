import Foundation
import PlyClient
import PlyJSON
import PlyTesting
import Testing

/// `PlyTesting.PlyTestServer` as a studio's test uses it: a server in a schema of its own,
/// logged-in clients and a started match in one call each, the schema gone after the stop.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct PlyTestServerTests {
    @Test func aMatchStartsAndTheSchemaGoesWithTheServer() async throws {
        let server = try await PlyTestServer.start(databaseURL: try #require(TestDatabase.urlText))
        #expect(try await SchemaTests.schemaExists(server.schema))
        let table = try await server.match()
        let reply = try await table.first.move(match: table.id, ply: 1, move: "f5")
        #expect(reply["to_move"]?.stringValue == table.second.player)
        let event = await table.second.events.first { $0.type == "move" }
        #expect(event?.body["move"]?.stringValue == "f5")
        await table.close()
        try await server.stop()
        #expect(try await SchemaTests.schemaExists(server.schema) == false)
    }

    @Test func optionsReachTheServer() async throws {
        var options = PlyTestServer.Options()
        options.keepSchema = true
        options.adminToken = String(repeating: "t", count: 40)
        let server = try await PlyTestServer.start(databaseURL: try #require(TestDatabase.urlText), options: options)
        let admin = try await server.client()
        try await admin.call("AUTH ADMIN \(options.adminToken!)")
        let player = try await server.player("opt")
        #expect(player.player != nil)
        await admin.close()
        await player.close()
        try await server.stop()
        #expect(try await SchemaTests.schemaExists(server.schema))
        try await query(try TestDatabase.url(), "DROP SCHEMA \(server.schema) CASCADE")
    }

    /// With a test clock, a turn deadline passes without sleeping: a day-long turn ends in
    /// `timeout` as soon as the clock moves past it, and not a second before.
    @Test func aTestClockPassesATurnDeadlineWithoutSleeping() async throws {
        var options = PlyTestServer.Options()
        options.clock = PlyTestClock()
        // The poll of the server's own loop would also see the moved clock; a long interval
        // leaves the passing of the deadline to `advanceClock`.
        options.deadlinePollSeconds = 3600
        let server = try await PlyTestServer.start(databaseURL: try #require(TestDatabase.urlText), options: options)
        let table = try await server.match(settings: #"{"side":"first","turn_seconds":86400}"#)
        _ = try await table.first.move(match: table.id, ply: 1, move: "f5")
        _ = try await table.second.move(match: table.id, ply: 2, move: "d6")
        // A second before the deadline the poll may remind (deadline_soon), not end.
        try await server.advanceClock(by: 86_399)
        #expect(try await table.first.callObject("MATCH \(table.id)")["status"]?.stringValue == "active")
        #expect(try await server.advanceClock(by: 2) >= 1)
        let end = await table.second.events.first { $0.type == "end" }
        let result = end?.body["result"]?.objectValue
        #expect(result?["reason"]?.stringValue == "timeout")
        #expect(result?["winner"]?.stringValue == table.second.player)
        await table.close()
        try await server.stop()
    }
}
