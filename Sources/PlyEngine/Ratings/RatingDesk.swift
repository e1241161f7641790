import Foundation
import Logging
import PlyProtocol
import PlyStore

/// The one place a rated ending is rated. For each ending it takes both players' stats,
/// rates the result (Glicko-2), and commits the match's writes and the new stats in one
/// transaction, holding both players meanwhile: two endings of one player run one after the
/// other, so neither rates from stats the other is about to replace.
///
/// Every rated ending of this server passes here, so the stats it committed are the stored
/// ones (a deleted account's are deleted too, but it never plays again): it keeps them (up to `cacheLimit` rows) and reads PostgreSQL only for a player it has
/// not rated yet, or after a commit whose outcome was unknown (the stats may or may not have
/// been stored, so they are read back).
actor RatingDesk {
    private let writer: any CriticalCommitting
    private let readStats: @Sendable ([String], String) async throws -> [StatsRow]
    private let logger: Logger
    /// Tells the players' profiles their new stats, inside the section, so two endings of one
    /// player reach the profile in the order they were committed.
    private let rated: @Sendable ([StatsRow]) async -> Void
    private var turns = KeyedTurns()
    /// Stats as committed, by player and game.
    private var known: [String: StatsRow] = [:]
    let cacheLimit: Int

    init(
        writer: any CriticalCommitting, logger: Logger, cacheLimit: Int = 100_000,
        rated: @escaping @Sendable ([StatsRow]) async -> Void = { _ in },
        readStats: @escaping @Sendable (_ players: [String], _ game: String) async throws -> [StatsRow]
    ) {
        self.rated = rated
        self.writer = writer
        self.logger = logger
        self.cacheLimit = cacheLimit
        self.readStats = readStats
    }

    private static func key(_ player: String, _ game: String) -> String { player + " " + game }

    /// Commits `writes` (which end the match) with both players' new stats; returns them.
    /// Throws `unavailable` when the stats cannot be read, and passes a failed commit on
    /// (`CommitFailure`, so the caller can tell an unknown outcome).
    func commitEnding(_ writes: [CriticalWrite], _ ending: RatedEnding) async throws -> [StatsRow] {
        let players = ending.seats.sorted()
        // Taken in id order, so two endings never wait on each other in a circle.
        for p in players where !turns.claim(p) { await withCheckedContinuation { turns.wait(p, $0) } }
        defer { for p in players { turns.end(p) } }
        let stored = try await stats(of: ending.seats, ending.game)
        let rows = Self.rate(ending, stored: stored)
        do {
            try await writer.commit(writes + rows.map { .stats($0) })
        } catch {
            // Whether the new stats were stored is not known: read them next time.
            for p in ending.seats { known[Self.key(p, ending.game)] = nil }
            throw error
        }
        if known.count + rows.count > cacheLimit { known.removeAll(keepingCapacity: true) }
        for row in rows { known[Self.key(row.player, row.game)] = row }
        await rated(rows)
        return rows
    }

    /// The players' stats in `game`: as this desk last committed them, or as stored.
    private func stats(of players: [String], _ game: String) async throws -> [StatsRow] {
        let cached = players.compactMap { known[Self.key($0, game)] }
        if cached.count == players.count { return cached }
        do {
            let stored = try await readStats(players, game)
            // A player with no stored row has the defaults, and is known to have them.
            return players.map { p in stored.first { $0.player == p } ?? StatsRow(player: p, game: game) }
        } catch {
            logger.warning("ending not rated: stats could not be read", metadata: ["error": "\(error)"])
            throw PlyError.unavailable()
        }
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
