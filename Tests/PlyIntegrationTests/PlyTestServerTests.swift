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
}
