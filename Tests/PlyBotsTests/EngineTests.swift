import PlyBots
import PlyJSON
import PlyRules
import Testing

/// Random playouts to find test positions, the same on every run.
func playout(_ id: String, settings: JSONObject = [:], plies: Int, seed: UInt64) throws -> [String] {
    var random = BotRandom(seed: seed)
    var state = try GameState(game: GameCatalog.game(id)!, settings: settings)
    var moves: [String] = []
    while moves.count < plies, let m = state.legalMoves().randomElement(using: &random) {
        moves.append(m)
        state = try state.applying(m).state
    }
    return moves
}

func state(_ id: String, _ settings: JSONObject = [:], _ moves: [String]) throws -> GameState {
    try RulesTool.replay(GameCatalog.game(id)!, settings: settings, moves: moves).state
}

@Suite("Engines")
struct EngineTests {
    // MARK: Any game

    @Test("a legal move is always returned", arguments: ["reversi", "hive", "khet"])
    func alwaysLegal(_ id: String) throws {
        var random = BotRandom(seed: 7)
        let settings: JSONObject = id == "hive" ? ["expansions": "MLP"] : [:]
        for i in 0..<8 {
            let moves = try playout(id, settings: settings, plies: 5 * i, seed: UInt64(i))
            let before = try state(id, settings, moves)
            guard !before.outcome.isOver else { continue }
            for level in [1, 3] {
                let l = BotLevel.level(level, game: id).withBudget(.milliseconds(60))
                let move = try #require(try Bots.move(game: id, settings: settings, moves: moves, level: l, random: &random))
                #expect(before.legalMoves().contains(move), "\(id) level \(level) after \(moves.count) plies: \(move)")
            }
        }
    }

    @Test("no move takes longer than its budget", arguments: ["reversi", "hive", "khet"])
    func budgetKept(_ id: String) throws {
        var random = BotRandom(seed: 3)
        let moves = try playout(id, plies: 16, seed: 11)
        for budget in [50, 200] {
            var level = BotLevel.level(5, game: id).withBudget(.milliseconds(budget))
            level.depth = 40  // only the clock can stop it
            let took = try timed { _ = try Bots.move(game: id, settings: [:], moves: moves, level: level, random: &random) }
            took.expectWithin(.milliseconds(budget), "\(id) with a budget of \(budget) ms")
        }
    }

    /// Each Hive and Khet level at its own depth and budget, on fixed positions from the
    /// opening to late in a random game (Hive with all three expansions, the widest move
    /// lists): the whole call, replaying the moves included, ends within the budget. The
    /// tests around it run in parallel, so the machine is busy while this measures.
    @Test("every level keeps its own budget on fixed positions", arguments: ["hive", "khet"])
    func levelBudgetsKept(_ id: String) throws {
        var random = BotRandom(seed: 9)
        let settings: JSONObject = id == "hive" ? ["expansions": "MLP"] : [:]
        var longest = Array(repeating: Duration.zero, count: 5)
        for (plies, seed) in [(10, UInt64(21)), (30, 22), (60, 23), (120, 24)] {
            var moves = try playout(id, settings: settings, plies: plies, seed: seed)
            // A random Khet game often ends early: then the position before its last move.
            if try state(id, settings, moves).outcome.isOver { moves.removeLast() }
            for n in 1...5 {
                let level = BotLevel.level(n, game: id)
                var move: String?
                let took = try timed { move = try Bots.move(game: id, settings: settings, moves: moves, level: level, random: &random) }
                longest[n - 1] = max(longest[n - 1], took.wall)
                #expect(move != nil)
                took.expectWithin(level.budget, "\(id) level \(n) after \(moves.count) plies")
            }
        }
        print("\(id) budgets: longest move per level \(longest.map { "\($0)" }.joined(separator: ", "))")
    }

    /// Positions, from random games, where some move wins at once: every level finds one.
    @Test("an immediate win is taken", arguments: ["reversi", "khet"])
    func immediateWin(_ id: String) throws {
        var found = 0
        var seed: UInt64 = 100
        var random = BotRandom(seed: 1)
        while found < 4 && seed < 400 {
            seed += 1
            let moves = try playout(id, plies: 200, seed: seed)
            // Back up from the end of a game that was won to the position before the win.
            guard moves.count > 1 else { continue }
            let end = try state(id, [:], moves)
            guard case .win(let winner, _) = end.outcome else { continue }
            let before = Array(moves.dropLast())
            guard try state(id, [:], before).sideToMove == winner else { continue }
            found += 1
            for level in 1...3 {
                let l = BotLevel.level(level, game: id).withBudget(.milliseconds(500))
                let move = try #require(try Bots.move(game: id, settings: [:], moves: before, level: l, random: &random))
                let after = try state(id, [:], before + [move])
                guard case .win(let w, _) = after.outcome, w == winner else {
                    Issue.record("\(id) level \(level) seed \(seed) missed the win: \(move), then \(after.outcome)")
                    continue
                }
            }
        }
        #expect(found > 0)
    }

    // MARK: Hive

    /// Recorded games that end with a queen surrounded: from the position before the last
    /// move, the engine surrounds the queen too (the queen capture is seen).
    @Test func hiveQueenCaptureSeen() throws {
        var checked = 0
        var random = BotRandom(seed: 5)
        for game in HiveReference.games() {
            let expansions = game.gameType == "Base" ? "" : String(game.gameType.dropFirst(5))
            let settings: JSONObject = ["expansions": .string(expansions)]
            let end = try state("hive", settings, game.moves)
            guard case .win(let winner, _) = end.outcome else { continue }
            let before = Array(game.moves.dropLast())
            guard try state("hive", settings, before).sideToMove == winner else { continue }
            checked += 1
            for level in [1, 2] {
                let l = BotLevel.level(level, game: "hive").withBudget(.seconds(2))
                let move = try #require(try Bots.move(game: "hive", settings: settings, moves: before, level: l, random: &random))
                let after = try state("hive", settings, before + [move])
                #expect(after.outcome == end.outcome || { if case .win(winner, _) = after.outcome { true } else { false } }(),
                    "\(game.file) level \(level): \(move)")
            }
        }
        #expect(checked > 0, "no recorded game ends on the board")
    }

    // MARK: Reversi

    /// The endgame solver agrees with a plain minimax over the rules on small endgames.
    @Test func reversiEndgameIsExact() throws {
        let rules = Reversi()
        func minimax(_ p: ReversiPosition) -> Int {
            let moves = rules.legalMoves(p)
            if moves.isEmpty { return p.discs(p.toMove) - p.discs(p.toMove == .black ? .white : .black) }
            return moves.map { -minimax(rules.play($0, on: p)) }.max()!
        }
        var checked = 0
        for seed in UInt64(1)...40 {
            let moves = try playout("reversi", plies: 200, seed: seed)
            // Back up to 7 or 8 empties.
            var p = ReversiPosition.start
            for m in moves {
                let empties = 64 - p.discs(.black) - p.discs(.white)
                if empties <= 8 { break }
                p = try rules.apply(notation: m, to: p)
            }
            guard !rules.outcome(p).isOver, rules.legalMoves(p) != [.pass] else { continue }
            let solved = try #require(ReversiEngine().solve(p, budget: .seconds(10)))
            #expect(solved.score == minimax(p), "seed \(seed)")
            #expect(-minimax(rules.play(solved.move, on: p)) == solved.score, "the move reaches the score")
            checked += 1
            if checked == 6 { break }
        }
        #expect(checked > 0)
    }

    /// With 10 empties, levels 4 and 5 play a move that keeps the best result perfect play
    /// can reach: a forced win is found and kept.
    @Test func reversiForcedWinFound() throws {
        let rules = Reversi()
        var random = BotRandom(seed: 1)
        var wins = 0
        for seed in UInt64(1)...60 where wins < 3 {
            var p = ReversiPosition.start
            for m in try playout("reversi", plies: 200, seed: seed) {
                if 64 - p.discs(.black) - p.discs(.white) <= 10 { break }
                p = try rules.apply(notation: m, to: p)
            }
            guard !rules.outcome(p).isOver, rules.legalMoves(p) != [.pass] else { continue }
            let best = try #require(ReversiEngine().solve(p, budget: .seconds(10)))
            guard best.score > 0 else { continue }
            wins += 1
            for level in [4, 5] {
                let move = try #require(ReversiEngine().bestMove(p, level: BotLevel.level(level, game: "reversi"), random: &random))
                let next = rules.play(move, on: p)
                let opponent: ReversiColour = next.toMove == .black ? .white : .black
                let after =
                    rules.outcome(next).isOver
                    ? next.discs(next.toMove) - next.discs(opponent)
                    : try #require(ReversiEngine().solve(next, budget: .seconds(10))).score
                #expect(-after == best.score, "seed \(seed) level \(level)")
            }
        }
        #expect(wins > 0)
    }
}
