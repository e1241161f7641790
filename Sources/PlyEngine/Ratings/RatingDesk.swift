import Foundation
import Logging
import PlyProtocol
import PlyStore

/// The one place a rated ending is rated. For each ending it reads both players' stored
/// stats, rates the result (Glicko-2), and commits the match's writes and the new stats in
/// one transaction, holding both players meanwhile: two endings of one player run one after
/// the other, so neither rates from stats the other is about to replace. The stats are read
/// from PostgreSQL inside that section, so a commit whose outcome was unknown, an eviction or
/// a restart cannot leave a stale copy to rate from.
actor RatingDesk {
    private let writer: any CriticalCommitting
    private let readStats: @Sendable ([String], String) async throws -> [StatsRow]
    private let logger: Logger
    private var turns = KeyedTurns()

    init(
        writer: any CriticalCommitting, logger: Logger,
        readStats: @escaping @Sendable (_ players: [String], _ game: String) async throws -> [StatsRow]
    ) {
        self.writer = writer
        self.logger = logger
        self.readStats = readStats
    }

    /// Commits `writes` (which end the match) with both players' new stats; returns them.
    /// Throws `unavailable` when the stats cannot be read or the commit fails (with
    /// `CommitFailure` passed on, so the caller can tell an unknown outcome).
    func commitEnding(_ writes: [CriticalWrite], _ ending: RatedEnding) async throws -> [StatsRow] {
        let players = ending.seats.sorted()
        // Taken in id order, so two endings never wait on each other in a circle.
        for p in players where !turns.claim(p) { await withCheckedContinuation { turns.wait(p, $0) } }
        defer { for p in players { turns.end(p) } }
        let stored: [StatsRow]
        do {
            stored = try await readStats(ending.seats, ending.game)
        } catch {
            logger.warning("ending not rated: stats could not be read", metadata: ["error": "\(error)"])
            throw PlyError.unavailable()
        }
        let rows = Self.rate(ending, stored: stored)
        try await writer.commit(writes + rows.map { .stats($0) })
        return rows
    }

    /// Both players' stats after the ending: stored stats (defaults for a first game) with
    /// the result and the Glicko-2 ratings it gives.
    static func rate(_ ending: RatedEnding, stored: [StatsRow]) -> [StatsRow] {
        var rows = ending.seats.map { p in stored.first { $0.player == p } ?? StatsRow(player: p, game: ending.game) }
        let score: GameScore = ending.winner == nil ? .draw : (ending.winner == ending.seats[0] ? .win : .loss)
        let (a, b) = Glicko2().afterMatch(rows[0].glicko, rows[1].glicko, scoreOfA: score)
        rows[0].record(score, rating: a)
        rows[1].record(score == .draw ? .draw : (score == .win ? .loss : .win), rating: b)
        return rows
    }
}

/// What commits critical writes: the `DatabaseWriter`, or an in-memory stand-in in tests.
protocol CriticalCommitting: Sendable {
    func commit(_ writes: [CriticalWrite]) async throws
}

extension DatabaseWriter: CriticalCommitting {}

extension StatsRow {
    var glicko: Rating { Rating(rating: rating, deviation: deviation, volatility: volatility) }

    mutating func record(_ score: GameScore, rating r: Rating) {
        played += 1
        switch score {
        case .win: won += 1
        case .loss: lost += 1
        case .draw: drawn += 1
        }
        rating = r.rating
        deviation = r.deviation
        volatility = r.volatility
    }
}
