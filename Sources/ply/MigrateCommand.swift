import ArgumentParser
import Logging
import PlyStore
import PostgresNIO

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the schema files that the database does not have yet.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = try database.logger("ply.migrate")
        let url = try database.url()
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let applied = try await Migrator.migrate(client, migrations: try Migration.bundled(), schema: url.schema, logger: logger)
            print(applied.isEmpty ? "schema up to date" : "applied \(applied.map(String.init).joined(separator: ", "))")
            group.cancelAll()
        }
    }
}
