import Foundation
import Logging
import PostgresNIO

/// Flushes lazy writes: one transaction, one statement per kind of row.
struct LazyFlusher: Sendable {
    let database: LimitedClient
    let logger: Logger

    /// Writes `writes` in one transaction, behind the check of `epoch` (see `Fence`);
    /// nothing of them is written if it throws.
    func flush(_ writes: [LazyWrite], epoch: Int64) async throws {
        try await database.withConnection { [logger] conn in
            try await conn.withTransaction(logger: logger) { conn in
                if epoch >= 0 { _ = try await conn.query("SELECT ply_check_epoch(\(epoch))", logger: logger).collect() }
                try await Self.apply(writes, on: conn, logger: logger)
            }
        }
    }

    /// One `UPDATE players` for many players: `assignment` reads each player's value as `u.v`
    /// (sent as an array of `type`).
    private static func setPlayerColumn<Value: PostgresArrayEncodable>(
        _ assignment: String, _ rows: [(String, Value)], as type: String, on conn: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        _ = try await conn.query(
            """
            UPDATE players p SET \(unescaped: assignment)
            FROM unnest(\(rows.map(\.0))::text[], \(rows.map(\.1))::\(unescaped: type)[]) AS u(id, v)
            WHERE p.id = u.id AND p.deleted_at IS NULL
            """, logger: logger)
    }

    /// Email alerts of challenges: at most one outbox row per player in this many seconds,
    /// however many players challenge them.
    static let challengeAlertSeconds = 3600.0

    /// The columns of a digest outbox row for the player `u.p` (a query names its players
    /// `u(p, ...)` and joins `emails e` and the list `w`): every active match waiting for
    /// them, read when the row is made, so it is complete.
    static let digestInsert = """
        INSERT INTO outbox (player_id, notification_id, email, kind, match_id, matches)
        SELECT u.p, 'digest-' || floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint, e.email, 'digest', '', w.list
        """
    static let waitingMatches = """
        CROSS JOIN LATERAL (
            SELECT json_agg(json_build_object(
                       'match', m.id, 'game', m.game, 'ply', m.ply_count, 'deadline', m.deadline,
                       'opponent', (SELECT o.name FROM players o WHERE o.id = ANY(m.seats) AND o.id <> u.p LIMIT 1))
                   ORDER BY m.deadline, m.id) AS list
            FROM matches m
            WHERE m.id IN (SELECT match_id FROM match_players WHERE player_id = u.p)
              AND m.status = 'active' AND m.to_move = u.p
        ) w
        """

    /// Email digests: for each player with `email_digest_hours` whose notifications are in
    /// this flush, one outbox row (kind `digest`) listing every active match waiting for
    /// them, unless they got a digest in the last `digestHours` hours (then
    /// `MatchStore.sendDueDigests` sends it once that window has passed).
    static func insertDigests(_ notes: [NotificationRow], on conn: PostgresConnection, logger: Logger) async throws {
        var hours: [String: Int] = [:]
        for n in notes { hours[n.player] = n.digestHours }
        let players = Array(hours.keys)
        _ = try await conn.query(
            """
            \(unescaped: digestInsert)
            FROM unnest(\(players)::text[], \(players.map { hours[$0] ?? 24 })::int8[]) AS u(p, h)
            JOIN emails e ON e.player_id = u.p AND e.confirmed_at IS NOT NULL
            JOIN players pl ON pl.id = u.p AND pl.deleted_at IS NULL
            \(unescaped: waitingMatches)
            WHERE w.list IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM outbox o WHERE o.player_id = u.p AND o.kind = 'digest'
                  AND o.created_at > now() - make_interval(hours => u.h::int))
            ON CONFLICT (player_id, notification_id) DO NOTHING
            """, logger: logger)
    }

    /// Flushes lazy rows: one statement per kind of row. Rows of a deleted account are not
    /// written (a flush may run after the deletion it raced).
    static func apply(_ writes: [LazyWrite], on conn: PostgresConnection, logger: Logger) async throws {
        var names: [(String, String)] = [], data: [(String, String)] = [], seen: [(String, Double)] = []
        var seqs: [(String, Int)] = [], notes: [NotificationRow] = [], reads: [(String, String, Double)] = []
        var queued: [(String, String, Double)] = [], unqueued: [(String, String)] = [], used: [String] = []
        for w in writes {
            switch w {
            case .name(let p, let n): names.append((p, n))
            case .data(let p, let j): data.append((p, j))
            case .lastSeen(let p, let at): seen.append((p, at.timeIntervalSince1970))
            case .eventSeq(let p, let s): seqs.append((p, s))
            case .notification(let n): notes.append(n)
            case .notificationSeen(let p, let id, let at): reads.append((p, id, at.timeIntervalSince1970))
            case .queued(let p, let k, let at): queued.append((p, k, at.timeIntervalSince1970))
            case .unqueued(let p, let k): unqueued.append((p, k))
            case .sessionUsed(_, let hash): used.append(hash.hexString)
            }
        }
        try await setPlayerColumn("name = u.v", names, as: "text", on: conn, logger: logger)
        try await setPlayerColumn("data = u.v::json", data, as: "text", on: conn, logger: logger)
        try await setPlayerColumn("last_seen_at = to_timestamp(u.v)", seen, as: "float8", on: conn, logger: logger)
        try await setPlayerColumn("event_seq = GREATEST(p.event_seq, u.v)", seqs, as: "int8", on: conn, logger: logger)
        if !notes.isEmpty {
            _ = try await conn.query(
                """
                INSERT INTO notifications (player_id, id, kind, match_id, created_at)
                SELECT u.p, u.id, u.kind, u.m, to_timestamp(u.at)
                FROM unnest(\(notes.map(\.player))::text[], \(notes.map(\.id))::text[], \(notes.map(\.kind))::text[],
                            \(notes.map(\.match))::text[], \(notes.map { $0.at.timeIntervalSince1970 })::float8[]) AS u(p, id, kind, m, at)
                JOIN players pl ON pl.id = u.p AND pl.deleted_at IS NULL
                ON CONFLICT (player_id, id) DO NOTHING
                """, logger: logger)
            let mail = notes.filter { $0.email && $0.digestHours == nil }
            let digests = notes.filter { $0.email && $0.digestHours != nil }
            if !digests.isEmpty {
                try await insertDigests(digests, on: conn, logger: logger)
                _ = try await conn.query("NOTIFY ply_outbox", logger: logger)
            }
            if !mail.isEmpty {
                _ = try await conn.query(
                    """
                    INSERT INTO outbox (player_id, notification_id, email, kind, match_id)
                    SELECT DISTINCT ON (u.p, CASE WHEN u.kind = 'challenge' THEN '' ELSE u.id END) u.p, u.id, e.email, u.kind, u.m
                    FROM unnest(\(mail.map(\.player))::text[], \(mail.map(\.id))::text[], \(mail.map(\.kind))::text[],
                                \(mail.map(\.match))::text[]) WITH ORDINALITY AS u(p, id, kind, m, n)
                    JOIN emails e ON e.player_id = u.p AND e.confirmed_at IS NOT NULL
                    WHERE u.kind <> 'challenge' OR NOT EXISTS (
                        SELECT 1 FROM outbox o WHERE o.player_id = u.p AND o.kind = 'challenge'
                          AND o.created_at > now() - make_interval(secs => \(challengeAlertSeconds)))
                    ORDER BY u.p, CASE WHEN u.kind = 'challenge' THEN '' ELSE u.id END, u.n
                    ON CONFLICT (player_id, notification_id) DO NOTHING
                    """, logger: logger)
                _ = try await conn.query("NOTIFY ply_outbox", logger: logger)
            }
        }
        if !reads.isEmpty {
            _ = try await conn.query(
                """
                UPDATE notifications n SET read_at = to_timestamp(u.at)
                FROM unnest(\(reads.map(\.0))::text[], \(reads.map(\.1))::text[], \(reads.map(\.2))::float8[]) AS u(p, id, at)
                WHERE n.player_id = u.p AND n.id = u.id AND n.read_at IS NULL
                """, logger: logger)
        }
        if !queued.isEmpty {
            _ = try await conn.query(
                """
                INSERT INTO automatch (player_id, pairing_key, queued_at)
                SELECT u.p, u.k, to_timestamp(u.at)
                FROM unnest(\(queued.map(\.0))::text[], \(queued.map(\.1))::text[], \(queued.map(\.2))::float8[]) AS u(p, k, at)
                JOIN players pl ON pl.id = u.p AND pl.deleted_at IS NULL
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if !unqueued.isEmpty {
            _ = try await conn.query(
                """
                DELETE FROM automatch a USING unnest(\(unqueued.map(\.0))::text[], \(unqueued.map(\.1))::text[]) AS u(p, k)
                WHERE a.player_id = u.p AND a.pairing_key = u.k
                """, logger: logger)
        }
        if !used.isEmpty {
            _ = try await conn.query(
                """
                UPDATE sessions s SET last_used = now()
                FROM unnest(\(used)::text[]) AS u(h) WHERE s.token_hash = decode(u.h, 'hex')
                """, logger: logger)
        }
    }
}
