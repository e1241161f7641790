import Logging
import PlyStore
import PostgresNIO

/// Runs one SQL statement on its own short-lived client and returns the first column of
/// each row as text (cast in the SQL: `SELECT n::text ...`).
@discardableResult
func query(_ url: DatabaseURL, _ sql: String) async throws -> [String] {
    let logger = Logger(label: "ply.test.query")
    let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        var out: [String] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql)) {
            if !row.isEmpty { out.append(try row.decode(String.self)) }
        }
        group.cancelAll()
        return out
    }
}
