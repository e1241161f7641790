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
    @Test func aTerminatedBackendIsUnavailableAndARefusalRefused() async throws {
        let logger = Logger(label: "ply.test.errors")
        let doomed = try await Self.connection()
        var terminated: (any Error)?
        do {
            for try await _ in try await doomed.query("SELECT pg_terminate_backend(pg_backend_pid())", logger: logger) {}
        } catch {
            terminated = error
        }
        try? await doomed.close()
        let e = try #require(terminated)
        #expect(StoreError.classify(e)?.code == .unavailable, "\(String(reflecting: e))")

        let conn = try await Self.connection()
        var refused: (any Error)?
        do {
            for try await _ in try await conn.query("SELECT 1 / 0", logger: logger) {}
        } catch {
            refused = error
        }
        try await conn.close()
        #expect(StoreError.classify(try #require(refused))?.code == .refused)
    }
}
