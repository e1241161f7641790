import Logging
import PostgresNIO

/// Asks PostgreSQL whether it answers, while the writer believes it down (`OutageState`
/// decides when).
struct OutageProbe: Sendable {
    let database: LimitedClient
    let logger: Logger

    /// Whether a trivial query succeeds within the time limit.
    func databaseAnswers() async -> Bool {
        do {
            try await database.withConnection { [logger] conn in
                _ = try await conn.query("SELECT 1", logger: logger)
            }
            return true
        } catch {
            logger.debug("database still unreachable", metadata: ["error": "\(error)"])
            return false
        }
    }
}
