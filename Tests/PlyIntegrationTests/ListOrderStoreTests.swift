import Foundation
import PlyStore
import PostgresNIO
import Testing

/// Lists as PostgreSQL orders them when their stamps tie (whole seconds): the operators'
/// report queue, with its pages, and a player's `MATCHES`.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(1)))
struct ListOrderStoreTests {
    /// Finished matches changed in the same second come newest id first, the id compared as
    /// a number: m10 before m9 (as text, "m9" sorts after "m10").
    @Test func matchesThatTieComeByTheirNumber() async throws {
        try await TestDatabase.withMigratedClient("ply.test.matchorder") { _, client, logger in
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('t1', 'T'), ('t2', 'U')", logger: logger)
            _ = try await client.query(
                """
                INSERT INTO matches (id, game, settings, status, creator, invitee, seats, updated_at)
                SELECT 'm' || i, 'reversi', '{}', 'finished', 't1', 't2', '{t1,t2}', to_timestamp(1800000000)
                FROM generate_series(8, 11) i
                """, logger: logger)
            _ = try await client.query(
                "INSERT INTO match_players (match_id, player_id) SELECT 'm' || i, 't1' FROM generate_series(8, 11) i", logger: logger)
            let listed = try await MatchStore(client: client, logger: logger).matches(of: "t1", finished: true)
            #expect(listed.map(\.id) == ["m11", "m10", "m9", "m8"])
        }
    }

    /// Reports filed in the same second keep their filing order (r9 before r10, by number),
    /// and pages of two joined give the whole queue, whatever the page size.
    @Test func pagesJoinIntoTheWholeQueue() async throws {
        try await TestDatabase.withMigratedClient("ply.test.reportqueue") { _, client, logger in
            _ = try await client.query(
                "INSERT INTO players (id, name) SELECT 'q' || i, 'Q' FROM generate_series(1, 6) i", logger: logger)
            _ = try await client.query(
                """
                INSERT INTO reports (id, reporter, reported, text, created_at)
                SELECT 'r' || (i + 7), 'q' || i, 'q6', 'spam', to_timestamp(1800000000) FROM generate_series(1, 5) i
                """, logger: logger)
            let store = SafetyStore(client: client, logger: logger)
            let whole = try #require(try await store.reports(openOnly: true, after: nil, limit: 500))
            #expect(whole.map(\.id) == ["r8", "r9", "r10", "r11", "r12"])
            #expect(whole.allSatisfy { $0.played == false })
            var paged: [String] = []
            var after: String?
            while let page = try await store.reports(openOnly: true, after: after, limit: 2), !page.isEmpty {
                #expect(page.count <= 2)
                paged += page.map(\.id)
                after = page.last?.id
            }
            #expect(paged == whole.map(\.id))
            #expect(try await store.reports(openOnly: true, after: "r99", limit: 2) == nil)
            // A report resolved since still marks the place.
            #expect(try await store.resolve(report: "r9", resolution: "spam"))
            #expect(try await store.reports(openOnly: true, after: "r9", limit: 2)?.map(\.id) == ["r10", "r11"])
            #expect(try await store.reports(openOnly: true, after: nil, limit: 500)?.map(\.id) == ["r8", "r10", "r11", "r12"])
        }
    }
}
