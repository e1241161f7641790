import Foundation
import Logging
import PlyProtocol
import Testing

@testable import PlyEngine
@testable import PlyStore

/// The rating desk rates each ending from the stored stats, one ending per player at a time.
@Suite struct RatingDeskTests {
    /// Stored stats and commits in memory; each commit takes a moment, as a real one does.
    actor Ledger: CriticalCommitting {
        var stats: [String: StatsRow] = [:]
        var commits = 0
        var reads = 0
        var failNext = false

        func commit(_ writes: [CriticalWrite]) async throws {
            try await Task.sleep(for: .milliseconds(2))
            if failNext {
                failNext = false
                throw CommitFailure(underlying: DatabaseUnavailable())
            }
            commits += 1
            for case .stats(let row) in writes { stats[row.player + " " + row.game] = row }
        }

        func read(_ players: [String], _ game: String) -> [StatsRow] {
            reads += 1
            return players.compactMap { stats[$0 + " " + game] }
        }

        func failOnce() { failNext = true }
    }

    static func desk(_ ledger: Ledger) -> RatingDesk {
        RatingDesk(writer: ledger, logger: Logger(label: "test")) { players, game in await ledger.read(players, game) }
    }

    /// Eight endings of one player at once: every one counts, and the rating is the one
    /// eight wins in a row give (none rated from stats another was replacing).
    @Test func endingsOfOnePlayerAreRatedOneAfterAnother() async throws {
        let ledger = Ledger()
        let desk = Self.desk(ledger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<8 {
                group.addTask {
                    _ = try await desk.commitEnding([], RatedEnding(game: "reversi", seats: ["hub", "spoke\(n)"], winner: "hub"))
                }
            }
            try await group.waitForAll()
        }
        #expect(await ledger.reads == 8, "each new opponent is read once; the hub, once rated, is known")
        let hub = try #require(await ledger.read(["hub"], "reversi").first)
        #expect(hub.played == 8 && hub.won == 8)
        var expected = Rating(rating: 1500, deviation: 350, volatility: 0.06)
        for _ in 0..<8 {
            (expected, _) = Glicko2().afterMatch(expected, Rating(rating: 1500, deviation: 350, volatility: 0.06), scoreOfA: .win)
        }
        #expect(abs(hub.rating - expected.rating) < 1e-9)
        #expect(await ledger.commits == 8)
    }

    /// A draw and a loss are recorded for the right seats.
    @Test func resultsGoToTheirSeats() {
        let stored = [StatsRow(player: "a", game: "hive")]
        let draw = RatingDesk.rate(RatedEnding(game: "hive", seats: ["a", "b"], winner: nil), stored: stored)
        #expect(draw.map(\.drawn) == [1, 1])
        let loss = RatingDesk.rate(RatedEnding(game: "hive", seats: ["a", "b"], winner: "b"), stored: stored)
        #expect(loss.map(\.lost) == [1, 0])
        #expect(loss.map(\.won) == [0, 1])
        #expect(loss[1].rating > 1500 && loss[0].rating < 1500)
    }

    /// A failed commit changes nothing, and the next ending rates from what is stored.
    @Test func aFailedCommitLeavesTheStoredStats() async throws {
        let ledger = Ledger()
        let desk = Self.desk(ledger)
        let ending = RatedEnding(game: "khet", seats: ["x", "y"], winner: "x")
        await ledger.failOnce()
        await #expect(throws: CommitFailure.self) { try await desk.commitEnding([], ending) }
        #expect(await ledger.read(["x", "y"], "khet").isEmpty)
        let rows = try await desk.commitEnding([], ending)
        #expect(rows.map(\.played) == [1, 1])
    }

    /// After a commit whose outcome is unknown the stats are read back, since they may have
    /// been stored after all; after a success they are not read again.
    @Test func statsAreReadBackOnlyWhenInDoubt() async throws {
        let ledger = Ledger()
        let desk = Self.desk(ledger)
        let ending = RatedEnding(game: "hive", seats: ["x", "y"], winner: nil)
        _ = try await desk.commitEnding([], ending)
        _ = try await desk.commitEnding([], ending)
        #expect(await ledger.reads == 1)
        await ledger.failOnce()
        await #expect(throws: CommitFailure.self) { try await desk.commitEnding([], ending) }
        let rows = try await desk.commitEnding([], ending)
        #expect(await ledger.reads == 2)
        #expect(rows.map(\.played) == [3, 3], "the third ending counts on what was stored")
    }
}
