import Foundation
import Logging
import PostgresNIO

/// How critical writes reach PostgreSQL.
public enum Durability: String, Sendable, CaseIterable {
    /// Group commit: while a transaction is in flight, new writes wait and share the next.
    case grouped
    /// Each write in its own transaction the moment it arrives, as a simple REST-plus-SQL
    /// backend would; the baseline the benchmarks compare against.
    case perMove = "per-move"
}

/// Why a critical write did not commit. Nothing of it is in the database.
public struct CommitFailure: Error, CustomStringConvertible {
    public var underlying: any Error
    public var description: String { "commit failed: \(String(reflecting: underlying))" }
}

/// Commits critical writes and resumes each caller only after its transaction committed.
/// The batching decision is `CommitQueue`'s; this actor only runs it.
public actor CommitWriter {
    struct Unit: Sendable {
        var writes: [CriticalWrite]
        var done: CheckedContinuation<Void, any Error>
    }

    let client: PostgresClient
    let logger: Logger
    public nonisolated let durability: Durability
    private var queue = CommitQueue<Unit>()

    public private(set) var commits = 0
    public private(set) var rowsCommitted = 0
    public private(set) var failedCommits = 0
    public private(set) var lastCommitSeconds = 0.0

    public init(client: PostgresClient, durability: Durability = .grouped, logger: Logger) {
        self.client = client
        self.durability = durability
        self.logger = logger
    }

    /// Writes waiting for the next transaction.
    public var waiting: Int { queue.waiting.count }

    /// Returns once the writes are committed; throws `CommitFailure` if they are not.
    public func commit(_ writes: [CriticalWrite]) async throws {
        guard !writes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let unit = Unit(writes: writes, done: c)
            switch durability {
            case .perMove:
                Task { await self.runAlone(unit) }
            case .grouped:
                if let batch = queue.enqueue(unit) { start(batch) }
            }
        }
    }

    private func start(_ batch: [Unit]) {
        Task { await self.run(batch) }
    }

    private func run(_ batch: [Unit]) async {
        do {
            try await execute(batch.flatMap(\.writes))
            for u in batch { u.done.resume() }
        } catch {
            if batch.count == 1 {
                batch[0].done.resume(throwing: CommitFailure(underlying: error))
            } else {
                // One bad write must not sink the others: retry each on its own.
                logger.warning("group commit failed; retrying writes one by one", metadata: ["error": "\(error)"])
                for u in batch { await runAlone(u) }
            }
        }
        if let next = queue.commitFinished() { start(next) }
    }

    private func runAlone(_ unit: Unit) async {
        do {
            try await execute(unit.writes)
            unit.done.resume()
        } catch {
            unit.done.resume(throwing: CommitFailure(underlying: error))
        }
    }

    private func execute(_ writes: [CriticalWrite]) async throws {
        let started = ContinuousClock.now
        do {
            try await client.withTransaction(logger: logger) { conn in
                try await Self.apply(writes, on: conn, logger: logger)
            }
        } catch {
            failedCommits += 1
            throw error
        }
        let d = ContinuousClock.now - started
        lastCommitSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        commits += 1
        rowsCommitted += writes.reduce(0) { $0 + $1.rows }
    }

    /// Runs a batch as a few set-based statements: all plies in one INSERT, all match
    /// updates in one UPDATE, so a transaction of a hundred moves is a handful of round trips.
    static func apply(_ writes: [CriticalWrite], on conn: PostgresConnection, logger: Logger) async throws {
        var inserts: [MatchRow] = []
        var updates: [MatchRow] = []
        var participants: [(String, String)] = []
        var plies: [PlyRow] = []
        var stats: [String: StatsRow] = [:]
        var statsOrder: [String] = []
        for w in writes {
            switch w {
            case .insertMatch(let m):
                inserts.append(m)
                for p in Set([m.creator] + (m.invitee.map { [$0] } ?? []) + m.seats) { participants.append((m.id, p)) }
            case .updateMatch(let m, let p):
                updates.append(m)
                if let p { participants.append((m.id, p)) }
            case .ply(let p): plies.append(p)
            case .stats(let s):
                let key = s.player + "\u{0}" + s.game
                if stats[key] == nil { statsOrder.append(key) }
                stats[key] = s  // the latest figures win
            }
        }
        for m in inserts {
            _ = try await conn.query(
                """
                INSERT INTO matches (id, game, settings, status, creator, invitee, seats, ply_count, to_move, deadline,
                                     result_winner, result_reason, created_at, updated_at)
                VALUES (\(m.id), \(m.game), \(m.settings)::json, \(m.status), \(m.creator), \(m.invitee), \(m.seats)::text[],
                        \(m.plyCount), \(m.toMove), \(m.deadline), \(m.resultWinner), \(m.resultReason), \(m.createdAt), \(m.updatedAt))
                """, logger: logger)
        }
        if !participants.isEmpty {
            let ids = participants.map(\.0)
            let players = participants.map(\.1)
            _ = try await conn.query(
                """
                INSERT INTO match_players (match_id, player_id)
                SELECT * FROM unnest(\(ids)::text[], \(players)::text[]) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if !updates.isEmpty {
            let ids = updates.map(\.id)
            let status = updates.map(\.status)
            let seats = updates.map { $0.seats.joined(separator: ",") }
            let plyCount = updates.map(\.plyCount)
            let toMove = updates.map { $0.toMove ?? "" }
            let deadline = updates.map { $0.deadline?.timeIntervalSince1970 ?? -1 }
            let winner = updates.map { $0.resultWinner ?? "" }
            let reason = updates.map { $0.resultReason ?? "" }
            let updated = updates.map { $0.updatedAt.timeIntervalSince1970 }
            _ = try await conn.query(
                """
                UPDATE matches m SET status = u.status,
                    seats = CASE WHEN u.seats = '' THEN '{}'::text[] ELSE string_to_array(u.seats, ',') END,
                    ply_count = u.ply_count, to_move = NULLIF(u.to_move, ''),
                    deadline = CASE WHEN u.deadline < 0 THEN NULL ELSE to_timestamp(u.deadline) END,
                    result_winner = NULLIF(u.winner, ''), result_reason = NULLIF(u.reason, ''),
                    updated_at = to_timestamp(u.updated)
                FROM unnest(\(ids)::text[], \(status)::text[], \(seats)::text[], \(plyCount)::int[], \(toMove)::text[],
                            \(deadline)::float8[], \(winner)::text[], \(reason)::text[], \(updated)::float8[])
                     AS u(id, status, seats, ply_count, to_move, deadline, winner, reason, updated)
                WHERE m.id = u.id
                """, logger: logger)
        }
        if !plies.isEmpty {
            let ids = plies.map(\.match)
            let numbers = plies.map(\.ply)
            let moves = plies.map(\.move)
            let times = plies.map { $0.playedAt.timeIntervalSince1970 }
            _ = try await conn.query(
                """
                INSERT INTO plies (match_id, ply, move, played_at)
                SELECT u.id, u.ply, u.move, to_timestamp(u.at)
                FROM unnest(\(ids)::text[], \(numbers)::int[], \(moves)::text[], \(times)::float8[]) AS u(id, ply, move, at)
                """, logger: logger)
        }
        if !stats.isEmpty {
            let rows = statsOrder.compactMap { stats[$0] }
            let p = rows.map(\.player), g = rows.map(\.game)
            let played = rows.map(\.played), won = rows.map(\.won), lost = rows.map(\.lost), drawn = rows.map(\.drawn)
            let r = rows.map(\.rating), d = rows.map(\.deviation), v = rows.map(\.volatility)
            _ = try await conn.query(
                """
                INSERT INTO player_stats (player_id, game, played, won, lost, drawn, rating, deviation, volatility)
                SELECT * FROM unnest(\(p)::text[], \(g)::text[], \(played)::int[], \(won)::int[], \(lost)::int[], \(drawn)::int[],
                                     \(r)::float8[], \(d)::float8[], \(v)::float8[])
                ON CONFLICT (player_id, game) DO UPDATE SET played = EXCLUDED.played, won = EXCLUDED.won,
                    lost = EXCLUDED.lost, drawn = EXCLUDED.drawn, rating = EXCLUDED.rating,
                    deviation = EXCLUDED.deviation, volatility = EXCLUDED.volatility
                """, logger: logger)
        }
    }
}
