import Foundation
import PlyJSON
import PlyServer
import PlyStore
import Testing

/// `ply serve --schema`: servers in different schemas of one database share no rows, and
/// `--drop-schema-on-exit` leaves nothing behind.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct SchemaTests {
    static func schemaExists(_ name: String) async throws -> Bool {
        try await query(try TestDatabase.url(), "SELECT count(*)::text FROM pg_namespace WHERE nspname = '\(name)'") == ["1"]
    }

    @Test func twoSchemasOnOneDatabaseShareNoRows() async throws {
        let suffix = UInt32.random(in: 0...UInt32.max)
        var first = try TestDatabase.url(), second = try TestDatabase.url()
        first.schema = "ply_a_\(suffix)"
        second.schema = "ply_b_\(suffix)"
        let a = try await TestServer.start(database: first) { $0.dropSchemaOnExit = true }
        let b = try await TestServer.start(database: second) { $0.dropSchemaOnExit = true }

        // One device, a new player on each server: neither sees the other's account.
        let device = "schema-\(UUID().uuidString)"
        let onA = try await a.client(), onB = try await b.client()
        let annA = try await onA.authDevice(device)
        let annB = try await onB.authDevice(device)
        #expect(annA.new && annB.new)
        let again = try await a.client()
        #expect(try await again.authDevice(device).new == false)

        // A match on one is unknown on the other.
        let match = try #require(try await onA.ok(#"CHALLENGE open reversi {"side":"first"}"#)["match"]?.stringValue)
        let (bo, _) = try await b.player("bo")
        _ = try await bo.err("ACCEPT \(match)", "not_found")

        // The tables are in the schemas, not in public.
        #expect(try await query(first, "SELECT count(*)::text FROM \(first.schema!).players") == ["1"])
        #expect(try await query(second, "SELECT count(*)::text FROM \(second.schema!).players") == ["2"])

        try await a.stop()
        try await b.stop()
        #expect(try await Self.schemaExists(first.schema!) == false)
        #expect(try await Self.schemaExists(second.schema!) == false)
    }

    @Test func aKeptSchemaSurvivesTheServer() async throws {
        var url = try TestDatabase.url()
        url.schema = "ply_keep_\(UInt32.random(in: 0...UInt32.max))"
        let server = try await TestServer.start(database: url)
        _ = try await server.player("keep")
        try await server.stop()
        #expect(try await Self.schemaExists(url.schema!))
        try await query(try TestDatabase.url(), "DROP SCHEMA \(url.schema!) CASCADE")
    }

    @Test(arguments: ["ply_ok", "_x1", "a"]) func validNames(name: String) {
        #expect(DatabaseURL.isSchemaName(name))
    }

    @Test(arguments: ["", "Ply", "1abc", "pg_temp", "a-b", "a b", "a;drop", String(repeating: "a", count: 64)])
    func invalidNames(name: String) {
        #expect(!DatabaseURL.isSchemaName(name))
    }
}
