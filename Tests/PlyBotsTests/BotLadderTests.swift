import PlyBots
import PlyJSON
import PlyRules
import Testing

@Suite("Ladder runner")
struct BotLadderTests {
    /// Level 1 with a small budget, so a handful of games takes well under a second.
    static func quick(_ game: String) -> Contender { .level(BotLevel.level(1, game: game).withBudget(.milliseconds(20))) }

    @Test("a short series adds up and alternates sides", arguments: ["reversi", "hive", "khet"])
    func series(_ game: String) throws {
        let tally = try BotLadder.series(game: game, candidate: Self.quick(game), opponent: .random, games: 4, seed: 1, maxPlies: 120)
        #expect(tally.games == 4)
        #expect(tally.wins + tally.draws + tally.losses == 4)
        #expect(tally.plies > 0)
        // Measured, not judged here: the engine tests hold the budget on a quiet machine.
        #expect(tally.longestMove > .zero)
        // One ply a game, and a candidate whose every move is over its (zero) budget: it
        // moves, and so counts, only in the games where it has the first seat.
        var overBudget: [Int] = []
        let zero = Contender.level(BotLevel.level(1, game: game).withBudget(.zero))
        _ = try BotLadder.series(
            game: game, candidate: zero, opponent: .random, games: 4, seed: 1, maxPlies: 1,
            shouldStop: { overBudget.append($0.overBudget); return false })
        #expect(overBudget == [1, 1, 2, 2])
    }

    @Test("a game ends with the rules' outcome, or as a draw at the ply cap")
    func plyCap() throws {
        var random = BotRandom(seed: 3)
        let capped = try BotLadder.play(
            game: "hive", candidate: .random, opponent: .random, candidateSeat: 0, maxPlies: 6, random: &random)
        #expect(capped == BotLadder.Game(result: .draw, plies: 6, longestMove: capped.longestMove))
        // Reversi always ends well before 400 plies, with the discs deciding.
        let full = try BotLadder.play(
            game: "reversi", candidate: Self.quick("reversi"), opponent: .random, candidateSeat: 1, random: &random)
        #expect(full.plies >= 50 && full.plies <= 70)
    }

    @Test("a series stops when asked")
    func stops() throws {
        let tally = try BotLadder.series(
            game: "reversi", candidate: .random, opponent: .random, games: 10, seed: 2, shouldStop: { $0.games >= 3 })
        #expect(tally.games == 3)
    }

    @Test("an unknown game is refused")
    func unknown() {
        #expect(throws: BotError.self) {
            try BotLadder.series(game: "chess", candidate: .random, opponent: .random, games: 1, seed: 1)
        }
    }
}

extension BotLadderTests {
    /// Each pair of games shares a random opening, from which the tally's plies count too.
    @Test("games start from random openings")
    func openings() throws {
        var random = BotRandom(seed: 4)
        let game = try BotLadder.play(
            game: "reversi", candidate: .random, opponent: .random, candidateSeat: 0, opening: ["f5", "d6", "c3"], random: &random)
        #expect(game.plies >= 50)
        // The opening's plies are played for both sides and counted: with a cap of three
        // plies the candidate never moves.
        let opened = try BotLadder.play(
            game: "reversi", candidate: Self.quick("reversi"), opponent: .random, candidateSeat: 0,
            opening: ["f5", "d6", "c3"], maxPlies: 3, random: &random)
        #expect(opened.plies == 3 && opened.longestMove == .zero)
        #expect(throws: BotError.self) {
            try BotLadder.play(game: "reversi", candidate: .random, opponent: .random, candidateSeat: 0, opening: ["a1"], random: &random)
        }
        let tally = try BotLadder.series(
            game: "khet", candidate: Self.quick("khet"), opponent: .random, games: 2, seed: 5, openingPlies: 4, maxPlies: 60)
        #expect(tally.games == 2)
    }
}
