import Foundation
import Logging
import PlyStore
import PostgresNIO
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct MigrationTests {
    @Test func migratingTwiceAndConcurrentlyIsSafe() async throws {
        let logger = Logger(label: "ply.test.migrate")
        // A database of its own: the shared one is migrated already by the other suites.
        let client = PostgresClient(configuration: try await TestDatabase.fresh().clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let migrations = try Migration.bundled()
            #expect(!migrations.isEmpty)
            #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
            // Four at once: the advisory lock makes them take turns; none fails, and between
            // them each migration is applied exactly once.
            let applied = try await withThrowingTaskGroup(of: [Int].self) { runs in
                for _ in 0..<4 { runs.addTask { try await Migrator.migrate(client, migrations: migrations, logger: logger) } }
                var all: [Int] = []
                for try await versions in runs { all += versions }
                return all
            }
            #expect(applied.sorted() == migrations.map(\.version))
            let again = try await Migrator.migrate(client, migrations: migrations, logger: logger)
            #expect(again.isEmpty, "a second run applies nothing")
            var versions: [Int] = []
            for try await v in try await client.query("SELECT version FROM schema_versions ORDER BY version").decode(Int.self) {
                versions.append(v)
            }
            #expect(versions == migrations.map(\.version))
            group.cancelAll()
        }
    }

    /// The schema files are compiled into the binary (a server is one file to deploy): every
    /// file of `Schema/` is there, as it is in the source tree.
    @Test func everySchemaFileIsInTheBinary() throws {
        let folder = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/PlyStore/Schema")
        let onDisk = try Migration.load(from: folder)
        #expect(onDisk.count >= 10)
        #expect(try Migration.bundled() == onDisk)
    }

    @Test func schemaFilesSplitIntoStatements() {
        let m = Migration(version: 9, name: "009_x", sql: "-- a comment; with a semicolon\nCREATE TABLE a (x int);\n\nCREATE INDEX i ON a (x);\n")
        #expect(m.statements == ["CREATE TABLE a (x int)", "CREATE INDEX i ON a (x)"])
        // A procedure's body keeps its semicolons.
        let p = Migration(
            version: 10, name: "010_p",
            sql: "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$\nBEGIN\n    COMMIT; -- inside\nEND\n$$;\nCREATE TABLE b (y int);")
        #expect(p.statements == ["CREATE PROCEDURE p() LANGUAGE plpgsql AS $$\nBEGIN\n    COMMIT; \nEND\n$$", "CREATE TABLE b (y int)"])
    }
}
