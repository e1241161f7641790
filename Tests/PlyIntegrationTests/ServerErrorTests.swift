import Logging
import NIOPosix
import PlyStore
import PostgresNIO
import Testing

/// How errors PostgreSQL answers with are read: a statement it refuses is a refusal (a bug,
/// `internal` to the client); its saying it cannot serve now is an outage, to retry.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(1)))
struct ServerErrorTests {
    static func connection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try TestDatabase.url().connectionConfiguration(),
            id: 1, logger: Logger(label: "ply.test.errors")
        ).get()
    }

    /// A chaos run's honest move was answered `internal` when PostgreSQL, restarting, sent
    /// "the database system is shutting down" (57P03): every server error counted as a
    /// refusal. A terminated backend (57P01) is of the same class.
    /// The error a statement fails with on a connection of its own, which then closes.
    static func error(of sql: PostgresQuery) async throws -> any Error {
        let conn = try await connection()
        var failure: (any Error)?
        do {
            for try await _ in try await conn.query(sql, logger: Logger(label: "ply.test.errors")) {}
        } catch {
            failure = error
        }
        try? await conn.close()
        return try #require(failure, "\(sql.sql) did not fail")
    }

    @Test func aTerminatedBackendIsUnavailableAndARefusalRefused() async throws {
        let terminated = try await Self.error(of: "SELECT pg_terminate_backend(pg_backend_pid())")
        #expect(StoreError.classify(terminated)?.code == .unavailable, "\(String(reflecting: terminated))")
        #expect(StoreError.classify(try await Self.error(of: "SELECT 1 / 0"))?.code == .refused)
    }
}
