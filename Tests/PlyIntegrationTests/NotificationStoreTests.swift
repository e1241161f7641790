import Foundation
import PlyStore
import PostgresNIO
import Testing

/// Unread notifications as PostgreSQL gives them back to a player loaded into memory.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(1)))
struct NotificationStoreTests {
    /// A player in memory keeps the newest 200 unread; read back, the same 200 come, oldest
    /// first (the oldest 200 came before, so the list changed across a reload).
    @Test func theNewestUnreadComeBackOldestFirst() async throws {
        try await TestDatabase.withMigratedClient("ply.test.notifications") { _, client, logger in
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('n1', 'Noted')", logger: logger)
            _ = try await client.query(
                """
                INSERT INTO notifications (player_id, id, kind, match_id, created_at)
                SELECT 'n1', 'c-m' || i, 'challenge', 'm' || i, to_timestamp(1800000000 + i) FROM generate_series(1, 203) i
                """, logger: logger)
            let unread = try await MatchStore(client: client, logger: logger).unreadNotifications(of: "n1", limit: 200)
            #expect(unread.map(\.id) == (4...203).map { "c-m\($0)" })
        }
    }
}
