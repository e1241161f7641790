import Foundation
import Logging
import PostgresNIO

/// A report a player filed for the operators.
public struct ReportRow: Sendable, Hashable {
    public var id: String
    public var reporter: String
    public var reported: String
    public var text: String
    public var createdAt: Date
    public var resolvedAt: Date?
    public var resolution: String?
    /// Whether the reporter and the reported player have played a match together (an active
    /// or finished one); read for the operators' queue only, nil elsewhere.
    public var played: Bool?

    public init(
        id: String, reporter: String, reported: String, text: String, createdAt: Date, resolvedAt: Date? = nil,
        resolution: String? = nil, played: Bool? = nil
    ) {
        self.id = id
        self.reporter = reporter
        self.reported = reported
        self.text = text
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.resolution = resolution
        self.played = played
    }
}

/// Why a report could not be filed.
public enum ReportRefusal: Error, Sendable {
    /// The reporter has an open report on that player already.
    case alreadyOpen
}

/// Blocks, reports, bans and mutes, bot marks, the operators' audit, and the account-rights
/// reads and deletions. Every write is one statement, durable before the caller answers.
public struct SafetyStore: Sendable {
    let database: LimitedClient
    public let logger: Logger

    public init(client: PostgresClient, timeLimit: Duration = .seconds(5), logger: Logger) {
        database = LimitedClient(client, limit: timeLimit)
        self.logger = logger
    }

    // MARK: blocks

    public func blocks(of player: String) async throws -> [String] {
        var out: [String] = []
        let rows = try await database.query(
            "SELECT blocked_id FROM blocks WHERE player_id = \(player) ORDER BY created_at, blocked_id", logger: logger)
        for try await id in rows.decode(String.self) { out.append(id) }
        return out
    }

    public func block(_ player: String, _ blocked: String) async throws {
        _ = try await database.query(
            "INSERT INTO blocks (player_id, blocked_id) VALUES (\(player), \(blocked)) ON CONFLICT DO NOTHING",
            logger: logger)
    }

    public func unblock(_ player: String, _ blocked: String) async throws {
        _ = try await database.query(
            "DELETE FROM blocks WHERE player_id = \(player) AND blocked_id = \(blocked)", logger: logger)
    }

    // MARK: reports

    public func fileReport(by reporter: String, about reported: String, text: String) async throws -> String {
        do {
            let rows = try await database.query(
                """
                INSERT INTO reports (id, reporter, reported, text)
                VALUES ('r' || nextval('report_number'), \(reporter), \(reported), \(text)) RETURNING id
                """, logger: logger)
            for try await id in rows.decode(String.self) { return id }
            throw StoreError(.missing, underlying: MigrationError("a report insert returned no id"))
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" {
            throw ReportRefusal.alreadyOpen
        }
    }

    static let reportColumns = "id, reporter, reported, text, created_at, resolved_at, resolution"

    private func reportRows(_ query: PostgresQuery) async throws -> [ReportRow] {
        var out: [ReportRow] = []
        let rows = try await database.query(query, logger: logger)
        for try await c in rows.decode((String, String, String, String, Date, Date?, String?).self) {
            out.append(ReportRow(
                id: c.0, reporter: c.1, reported: c.2, text: c.3, createdAt: c.4, resolvedAt: c.5, resolution: c.6))
        }
        return out
    }

    /// Whether the reporter and the reported player of report `r` (or any two players named so)
    /// have played a match together in which both moved (two plies or more, as for a rated match): accepting a challenge
    /// and leaving, which costs nothing, does not count. Once true it stays true (an aborted
    /// match still counts), so a report never moves back between pages of the queue.
    static let playedTogether = """
        EXISTS (
            SELECT 1 FROM match_players x
            JOIN match_players y ON y.player_id = r.reported AND y.match_id = x.match_id
            JOIN matches m ON m.id = x.match_id AND m.status IN ('active', 'finished', 'aborted') AND m.ply_count >= 2
            WHERE x.player_id = r.reporter)
        """

    /// The operators' queue: open reports (or all), those whose reporter has played the
    /// reported player first (reports from accounts that never played them cannot push an
    /// opponent's report down), each part oldest first; `after` continues the queue after
    /// that report, wherever it now stands (resolved since, or moved to the other part). Nil
    /// when there is no report `after`.
    public func reports(openOnly: Bool, after: String?, limit: Int) async throws -> [ReportRow]? {
        let played = Self.playedTogether
        let queue: PostgresQuery = """
            WITH queue AS (
                SELECT r.id, r.reporter, r.reported, r.text, r.created_at, r.resolved_at, r.resolution,
                    \(unescaped: played) AS played
                FROM reports r WHERE NOT \(openOnly) OR r.resolved_at IS NULL),
            start AS (
                SELECT NOT \(unescaped: played) AS unplayed, r.created_at, length(r.id) AS n, r.id
                FROM reports r WHERE r.id = \(after))
            SELECT id, reporter, reported, text, created_at, resolved_at, resolution, played FROM queue
            WHERE \(after)::text IS NULL OR (NOT played, created_at, length(id), id) > (SELECT unplayed, created_at, n, id FROM start)
            ORDER BY NOT played, created_at, length(id), id
            LIMIT \(limit)
            """
        var out: [ReportRow] = []
        let rows = try await database.query(queue, logger: logger)
        for try await c in rows.decode((String, String, String, String, Date, Date?, String?, Bool).self) {
            out.append(ReportRow(
                id: c.0, reporter: c.1, reported: c.2, text: c.3, createdAt: c.4, resolvedAt: c.5, resolution: c.6, played: c.7))
        }
        // No rows after a report may mean the end of the queue, or no such report.
        if out.isEmpty, let after,
            try await reportRows("SELECT \(unescaped: Self.reportColumns) FROM reports WHERE id = \(after)").isEmpty
        {
            return nil
        }
        return out
    }

    public func reports(about player: String, limit: Int = 100) async throws -> [ReportRow] {
        try await reportRows(
            "SELECT \(unescaped: Self.reportColumns) FROM reports WHERE reported = \(player) ORDER BY created_at DESC LIMIT \(limit)")
    }

    public func reports(filedBy player: String) async throws -> [ReportRow] {
        try await reportRows(
            "SELECT \(unescaped: Self.reportColumns) FROM reports WHERE reporter = \(player) ORDER BY created_at")
    }

    /// Resolves an open report; false when there is no such open report.
    public func resolve(report: String, resolution: String) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE reports SET resolved_at = now(), resolution = \(resolution)
            WHERE id = \(report) AND resolved_at IS NULL RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    // MARK: operators

    /// Records an operator action: what, whom, why and (as JSON text) any detail.
    public func audit(action: String, target: String, reason: String, detail: String = "{}") async throws {
        _ = try await database.query(
            """
            INSERT INTO audit (action, target, reason, detail) VALUES (\(action), \(target), \(reason), \(detail)::json)
            """, logger: logger)
    }

    /// Sets a live account's ban or mute (nil `until`: lifts it), leaving the other kind as
    /// it is; false when there is no such account.
    public func setSanction(_ player: String, _ kind: Sanctions.Kind, until: Date?, reason: String?) async throws -> Bool {
        let query: PostgresQuery =
            switch kind {
            case .ban:
                """
                UPDATE players SET banned_until = \(until), ban_reason = \(reason)
                WHERE id = \(player) AND deleted_at IS NULL RETURNING id
                """
            case .mute:
                """
                UPDATE players SET muted_until = \(until), mute_reason = \(reason)
                WHERE id = \(player) AND deleted_at IS NULL RETURNING id
                """
            }
        for try await _ in try await database.query(query, logger: logger).decode(String.self) { return true }
        return false
    }

    public func setBot(_ player: String, _ bot: Bool) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE players SET bot = \(bot) WHERE id = \(player) AND deleted_at IS NULL RETURNING id", logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    /// The kinds of credential an account has (`device`, `email`, `external`), its email,
    /// its linked identities and how many devices lead to it.
    public func credentials(of player: String) async throws -> (
        kinds: [String], email: String?, identities: [(issuer: String, subject: String)], devices: Int, lastSeen: Date?
    ) {
        let rows = try await database.query(
            """
            SELECT (SELECT count(*) FROM devices WHERE player_id = p.id)::int8,
                   (SELECT email FROM emails WHERE player_id = p.id),
                   ARRAY(SELECT issuer FROM external_identities WHERE player_id = p.id ORDER BY created_at, issuer, subject),
                   ARRAY(SELECT subject FROM external_identities WHERE player_id = p.id ORDER BY created_at, issuer, subject),
                   p.last_seen_at
            FROM players p WHERE p.id = \(player)
            """, logger: logger)
        for try await (devices, email, issuers, subjects, seen) in rows.decode((Int, String?, [String], [String], Date?).self) {
            var kinds: [String] = []
            if devices > 0 { kinds.append("device") }
            if email != nil { kinds.append("email") }
            if !issuers.isEmpty { kinds.append("external") }
            return (kinds, email, Array(zip(issuers, subjects)).map { (issuer: $0.0, subject: $0.1) }, devices, seen)
        }
        return ([], nil, [], 0, nil)
    }

    // MARK: account rights

    /// Every notification of a player, read or not, oldest first.
    public func notifications(of player: String) async throws -> [(id: String, kind: String, match: String, at: Date, read: Date?)] {
        var out: [(id: String, kind: String, match: String, at: Date, read: Date?)] = []
        let rows = try await database.query(
            "SELECT id, kind, match_id, created_at, read_at FROM notifications WHERE player_id = \(player) ORDER BY created_at, id",
            logger: logger)
        for try await (id, kind, match, at, read) in rows.decode((String, String, String, Date, Date?).self) {
            out.append((id, kind, match, at, read))
        }
        return out
    }

    /// Takes the player's email (and its password login) off the account, with the outbox rows
    /// not yet sent to it; the address, or nil when there was none.
    public func unlinkEmail(of player: String) async throws -> String? {
        let rows = try await database.query(
            """
            WITH gone AS (DELETE FROM emails WHERE player_id = \(player) RETURNING email),
                 unsent AS (DELETE FROM outbox o USING gone WHERE o.player_id = \(player) AND o.email = gone.email AND o.sent_at IS NULL)
            SELECT email FROM gone
            """, logger: logger)
        for try await email in rows.decode(String.self) { return email }
        return nil
    }

    /// Deletes what an account holds: credentials, sessions, identities, email, profile data,
    /// notifications, outbox rows, blocks, reports it filed, automatch places and stats, in one
    /// statement. The row stays, named `Deleted player`, so finished matches still name it.
    public func deleteAccount(_ player: String) async throws {
        _ = try await database.query(
            """
            WITH d1 AS (DELETE FROM devices WHERE player_id = \(player)),
                 d2 AS (DELETE FROM emails WHERE player_id = \(player)),
                 d3 AS (DELETE FROM external_identities WHERE player_id = \(player)),
                 d4 AS (DELETE FROM sessions WHERE player_id = \(player)),
                 d5 AS (DELETE FROM notifications WHERE player_id = \(player)),
                 d6 AS (DELETE FROM outbox WHERE player_id = \(player)),
                 d7 AS (DELETE FROM blocks WHERE player_id = \(player) OR blocked_id = \(player)),
                 d8 AS (DELETE FROM reports WHERE reporter = \(player)),
                 d9 AS (DELETE FROM automatch WHERE player_id = \(player)),
                 d10 AS (DELETE FROM player_stats WHERE player_id = \(player))
            UPDATE players SET name = 'Deleted player', data = '{}', bot = false, deleted_at = now(),
                               banned_until = NULL, ban_reason = NULL, muted_until = NULL, mute_reason = NULL
            WHERE id = \(player)
            """, logger: logger)
    }

    // MARK: challenges

    /// The challenges a player has waiting: how many open ones, and the invitee and game of
    /// each invitation.
    public func pendingChallenges(of creator: String) async throws -> (open: Int, invitations: [(invitee: String, game: String)]) {
        var open = 0
        var invitations: [(invitee: String, game: String)] = []
        let rows = try await database.query(
            "SELECT status, coalesce(invitee, ''), game FROM matches WHERE creator = \(creator) AND status IN ('open', 'invited')",
            logger: logger)
        for try await (status, invitee, game) in rows.decode((String, String, String).self) {
            if status == "open" { open += 1 } else { invitations.append((invitee, game)) }
        }
        return (open, invitations)
    }

    /// How many invitations wait for `invitee`'s answer, from anyone.
    public func waitingInvitations(for invitee: String) async throws -> Int {
        let rows = try await database.query(
            "SELECT count(*)::int FROM matches WHERE invitee = \(invitee) AND status = 'invited'", logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Whether `player` takes part in the match (a seat, its creator or its invitee): two
    /// lookups by key.
    public func participates(_ player: String, in match: String) async throws -> Bool {
        let rows = try await database.query(
            """
            SELECT EXISTS (SELECT 1 FROM match_players WHERE player_id = \(player) AND match_id = \(match))
                OR EXISTS (SELECT 1 FROM matches WHERE id = \(match) AND (creator = \(player) OR invitee = \(player)))
            """, logger: logger)
        for try await yes in rows.decode(Bool.self) { return yes }
        return false
    }

    /// Active matches waiting for `player`'s first move (seat i, from 0, first moves at ply
    /// i + 1; `array_position` counts from 1): on their turn, or, for ten minutes after it
    /// began, a match they joined in which nobody has moved yet (so taking every game whose
    /// creator moves first is held back too, but only for a while by a creator who never does).
    public func unmovedMatches(of player: String) async throws -> Int {
        let rows = try await database.query(
            """
            SELECT count(*)::int FROM match_players mp JOIN matches m ON m.id = mp.match_id
            WHERE mp.player_id = \(player) AND m.status = 'active'
              AND m.ply_count < coalesce(array_position(m.seats, \(player)::text), 0)
              AND (m.to_move = \(player)
                   OR (m.ply_count = 0 AND m.creator <> \(player) AND m.updated_at > now() - interval '10 minutes'))
            """, logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Whether the two played a match together in which both moved (as `playedTogether`).
    public func havePlayed(_ a: String, _ b: String) async throws -> Bool {
        let rows = try await database.query(
            "SELECT \(unescaped: Self.playedTogether) FROM (SELECT \(a)::text AS reporter, \(b)::text AS reported) r",
            logger: logger)
        for try await played in rows.decode(Bool.self) { return played }
        return false
    }

    /// Pending invitations from `creator` to `invitee`.
    public func invitations(from creator: String, to invitee: String) async throws -> [String] {
        var out: [String] = []
        let rows = try await database.query(
            "SELECT id FROM matches WHERE creator = \(creator) AND invitee = \(invitee) AND status = 'invited'",
            logger: logger)
        for try await id in rows.decode(String.self) { out.append(id) }
        return out
    }

    /// Matches of a player that are not over (challenges it made or received, and active
    /// matches), for withdrawing them when the account is deleted or banned.
    public func unfinishedMatches(of player: String) async throws -> [String] {
        var out: [String] = []
        let rows = try await database.query(
            """
            SELECT id FROM matches
            WHERE status IN ('open', 'invited', 'active')
              AND (creator = \(player) OR invitee = \(player) OR \(player) = ANY(seats))
            ORDER BY id
            """, logger: logger)
        for try await id in rows.decode(String.self) { out.append(id) }
        return out
    }

    /// Open challenges created before `cutoff`: they have expired.
    public func expiredOpenChallenges(before cutoff: Date, limit: Int = 200) async throws -> [String] {
        var out: [String] = []
        let rows = try await database.query(
            "SELECT id FROM matches WHERE status = 'open' AND created_at < \(cutoff) ORDER BY created_at LIMIT \(limit)",
            logger: logger)
        for try await id in rows.decode(String.self) { out.append(id) }
        return out
    }
}
