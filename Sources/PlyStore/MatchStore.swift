import Foundation
import Logging
import PostgresNIO

/// Reads of matches and stats. Writes go through `DatabaseWriter`.
public struct MatchStore: Sendable {
    /// Every read within a time limit: an unreachable database is `DatabaseUnavailable`.
    let database: LimitedClient
    public let logger: Logger

    public init(client: PostgresClient, timeLimit: Duration = .seconds(5), logger: Logger) {
        database = LimitedClient(client, limit: timeLimit)
        self.logger = logger
    }

    static let columns = """
        id, game, settings::text, status, creator, invitee, seats, ply_count, to_move, deadline,
        result_winner, result_reason, created_at, updated_at, clock_banks, paused_until, remind_at
        """

    typealias Columns = (
        String, String, String, String, String, String?, [String], Int, String?, Date?, String?, String?, Date, Date,
        [Int]?, [Int]?, Date?
    )

    static func row(_ c: Columns) -> MatchRow {
        var row = MatchRow(
            // The table's CHECK constraint admits only the statuses `MatchStatus` names.
            id: c.0, game: c.1, settings: c.2, status: MatchStatus(rawValue: c.3) ?? .aborted, creator: c.4, invitee: c.5,
            seats: c.6, plyCount: c.7,
            toMove: c.8, deadline: c.9, resultWinner: c.10, resultReason: c.11, createdAt: c.12, updatedAt: c.13)
        row.clockBanks = c.14 ?? []
        row.pausedUntil = c.15 ?? []
        row.remindAt = c.16
        return row
    }

    private func rows(_ query: PostgresQuery) async throws -> [MatchRow] {
        var out: [MatchRow] = []
        let seq = try await database.query(query, logger: logger)
        for try await c in seq.decode(Columns.self) { out.append(Self.row(c)) }
        return out
    }

    /// A fresh id: `m` and a number, short enough to type.
    public func newMatchID() async throws -> String {
        for try await n in try await database.query("SELECT nextval('match_number')", logger: logger).decode(Int.self) {
            return "m\(n)"
        }
        throw StoreError(.missing, underlying: MigrationError("no match number"))
    }

    /// A match and its moves in notation, oldest first, in one round trip (a cold match's
    /// first access waits on this).
    public func match(_ id: String) async throws -> (MatchRow, [String])? {
        let seq = try await database.query(
            """
            SELECT \(unescaped: Self.columns), ARRAY(SELECT move FROM plies WHERE match_id = matches.id ORDER BY ply)
            FROM matches WHERE id = \(id)
            """, logger: logger)
        typealias WithMoves = (
            String, String, String, String, String, String?, [String], Int, String?, Date?, String?, String?, Date, Date,
            [Int]?, [Int]?, Date?,
            [String]
        )
        for try await c in seq.decode(WithMoves.self) {
            let row = Self.row((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13, c.14, c.15, c.16))
            return (row, c.17)
        }
        return nil
    }

    /// A player's matches: unfinished first, those waiting on the player first, then by
    /// deadline and most recent change.
    public func matches(of player: String, finished: Bool?, limit: Int = 200) async throws -> [MatchRow] {
        let statuses: [String] =
            switch finished {
            case .some(true): ["finished", "aborted"]
            case .some(false): ["invited", "open", "active"]
            case nil: ["invited", "open", "active", "finished", "aborted"]
            }
        return try await rows(
            """
            SELECT \(unescaped: Self.columns) FROM matches
            WHERE id IN (SELECT match_id FROM match_players WHERE player_id = \(player)) AND status = ANY(\(statuses)::text[])
            ORDER BY (status IN ('invited', 'open', 'active')) DESC, (to_move = \(player)) IS TRUE DESC,
                     deadline ASC NULLS LAST, updated_at DESC, length(id) DESC, id DESC
            LIMIT \(limit)
            """)
    }

    /// The lobby: open challenges made since `since`, the newest of each creator, newest
    /// first, with the creator's name and bot mark (one account cannot fill the list).
    /// Stamps are whole seconds, so ties go to the later id: `m<number>`, compared as a
    /// number (by length, then as text), since "m9" sorts after "m51" as text.
    public func openChallenges(game: String?, since: Date, limit: Int = 50) async throws -> [(MatchRow, name: String, bot: Bool)] {
        let columns = Self.columns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        let seq = try await database.query(
            """
            SELECT * FROM (
                SELECT DISTINCT ON (m.creator) \(unescaped: columns), p.name, p.bot
                FROM matches m JOIN players p ON p.id = m.creator
                WHERE m.status = 'open' AND m.created_at >= \(since) AND (\(game)::text IS NULL OR m.game = \(game))
                ORDER BY m.creator, m.created_at DESC, length(m.id) DESC, m.id DESC
            ) t ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        typealias WithCreator = (
            String, String, String, String, String, String?, [String], Int, String?, Date?, String?, String?, Date, Date,
            [Int]?, [Int]?, Date?,
            String, Bool
        )
        var out: [(MatchRow, name: String, bot: Bool)] = []
        for try await c in seq.decode(WithCreator.self) {
            out.append((Self.row((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13, c.14, c.15, c.16)), c.17, c.18))
        }
        return out
    }

    /// Every match a player took part in, with its moves, newest first (for `EXPORT`).
    public func matchesWithMoves(of player: String, limit: Int) async throws -> [(MatchRow, [String])] {
        let columns = Self.columns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        let seq = try await database.query(
            """
            SELECT \(unescaped: columns), ARRAY(SELECT move FROM plies WHERE match_id = m.id ORDER BY ply)
            FROM matches m WHERE m.id IN (SELECT match_id FROM match_players WHERE player_id = \(player))
            ORDER BY m.created_at DESC, length(m.id) DESC, m.id DESC LIMIT \(limit)
            """, logger: logger)
        typealias WithMoves = (
            String, String, String, String, String, String?, [String], Int, String?, Date?, String?, String?, Date, Date,
            [Int]?, [Int]?, Date?,
            [String]
        )
        var out: [(MatchRow, [String])] = []
        for try await c in seq.decode(WithMoves.self) {
            out.append((Self.row((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9, c.10, c.11, c.12, c.13, c.14, c.15, c.16)), c.17))
        }
        return out
    }

    /// Active matches whose turn deadline has passed.
    public func overdue(now: Date, limit: Int = 200) async throws -> [String] {
        var out: [String] = []
        let seq = try await database.query(
            "SELECT id FROM matches WHERE status = 'active' AND deadline < \(now) ORDER BY deadline LIMIT \(limit)",
            logger: logger)
        for try await id in seq.decode(String.self) { out.append(id) }
        return out
    }

    /// Active matches whose `deadline_soon` reminder is due, earliest first.
    public func dueReminders(now: Date, limit: Int = 200) async throws -> [String] {
        var out: [String] = []
        let seq = try await database.query(
            """
            SELECT id FROM matches WHERE status = 'active' AND remind_at IS NOT NULL AND remind_at <= \(now)
            ORDER BY remind_at LIMIT \(limit)
            """, logger: logger)
        for try await id in seq.decode(String.self) { out.append(id) }
        return out
    }

    /// Digests a window held back: for each player with `email_digest_hours` whose last
    /// digest is at least that old and who has an unread notification newer than it, one
    /// digest row now (a notification inside a window is never lost, only delayed). Returns
    /// the rows made; the mailer hears `NOTIFY ply_outbox`.
    @discardableResult
    public func sendDueDigests(limit: Int = 500) async throws -> Int {
        try await database.withConnection { [logger] conn in
            var made = 0
            let rows = try await conn.query(
                """
                WITH made AS (
                    \(unescaped: LazyFlusher.digestInsert)
                    FROM (
                        SELECT d.player_id AS p, max(d.created_at) AS last, (pl.data->>'email_digest_hours')::int AS h
                        FROM outbox d JOIN players pl ON pl.id = d.player_id AND pl.deleted_at IS NULL
                        WHERE d.kind = 'digest' AND (pl.data->>'email_digest_hours') IS NOT NULL
                        GROUP BY d.player_id, pl.data->>'email_digest_hours'
                    ) u
                    JOIN emails e ON e.player_id = u.p AND e.confirmed_at IS NOT NULL
                    \(unescaped: LazyFlusher.waitingMatches)
                    WHERE u.last <= now() - make_interval(hours => u.h)
                      AND w.list IS NOT NULL
                      AND EXISTS (SELECT 1 FROM notifications n
                                  WHERE n.player_id = u.p AND n.read_at IS NULL AND n.created_at > u.last)
                    LIMIT \(limit)
                    ON CONFLICT (player_id, notification_id) DO NOTHING
                    RETURNING 1
                )
                SELECT count(*)::int FROM made
                """, logger: logger)
            for try await n in rows.decode(Int.self) { made = n }
            if made > 0 { _ = try await conn.query("NOTIFY ply_outbox", logger: logger) }
            return made
        }
    }

    static let statsColumns = "s.player_id, s.game, s.played, s.won, s.lost, s.drawn, s.rating, s.deviation, s.volatility"
    typealias StatsColumns = (String, String, Int, Int, Int, Int, Double, Double, Double)

    static func statsRow(_ c: StatsColumns) -> StatsRow {
        var s = StatsRow(player: c.0, game: c.1)
        (s.played, s.won, s.lost, s.drawn) = (c.2, c.3, c.4, c.5)
        (s.rating, s.deviation, s.volatility) = (c.6, c.7, c.8)
        return s
    }

    /// The stored stats of some players in one game (players with none are left out).
    public func stats(of players: [String], game: String) async throws -> [StatsRow] {
        var out: [StatsRow] = []
        let seq = try await database.query(
            """
            SELECT \(unescaped: Self.statsColumns) FROM player_stats s
            WHERE s.player_id = ANY(\(players)::text[]) AND s.game = \(game)
            """, logger: logger)
        for try await c in seq.decode(StatsColumns.self) { out.append(Self.statsRow(c)) }
        return out
    }

    public func stats(of player: String) async throws -> [StatsRow] {
        var out: [StatsRow] = []
        let seq = try await database.query(
            "SELECT \(unescaped: Self.statsColumns) FROM player_stats s WHERE s.player_id = \(player) ORDER BY s.game",
            logger: logger)
        for try await c in seq.decode(StatsColumns.self) { out.append(Self.statsRow(c)) }
        return out
    }

    /// The best-rated players of a game, with their names.
    public func top(game: String, limit: Int) async throws -> [(StatsRow, String)] {
        var out: [(StatsRow, String)] = []
        let seq = try await database.query(
            """
            SELECT \(unescaped: Self.statsColumns), p.name FROM player_stats s JOIN players p ON p.id = s.player_id
            WHERE s.game = \(game) AND s.played > 0 ORDER BY s.rating DESC, s.player_id LIMIT \(limit)
            """, logger: logger)
        for try await c in seq.decode((String, String, Int, Int, Int, Int, Double, Double, Double, String).self) {
            out.append((Self.statsRow((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8)), c.9))
        }
        return out
    }

    /// The automatch queues as stored: (pairing key, player), first come first.
    public func automatchQueue() async throws -> [(key: String, player: String)] {
        var out: [(key: String, player: String)] = []
        let seq = try await database.query(
            "SELECT pairing_key, player_id FROM automatch ORDER BY queued_at, player_id", logger: logger)
        for try await (key, player) in seq.decode((String, String).self) { out.append((key, player)) }
        return out
    }

    /// Names of players by id, for match listings.
    public func names(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var out: [String: String] = [:]
        let seq = try await database.query("SELECT id, name FROM players WHERE id = ANY(\(ids)::text[])", logger: logger)
        for try await (id, name) in seq.decode((String, String).self) { out[id] = name }
        return out
    }

    /// A player's newest `limit` unread notifications, oldest first (as a player in memory
    /// keeps them: past the limit the oldest go).
    public func unreadNotifications(of player: String, limit: Int = 200) async throws -> [NotificationRow] {
        var out: [NotificationRow] = []
        let seq = try await database.query(
            """
            SELECT id, kind, match_id, created_at FROM notifications
            WHERE player_id = \(player) AND read_at IS NULL ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        for try await (id, kind, match, at) in seq.decode((String, String, String, Date).self) {
            out.append(NotificationRow(player: player, id: id, kind: kind, match: match, at: at, email: false))
        }
        return out.reversed()
    }
}
