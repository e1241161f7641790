import ArgumentParser
import Foundation
import PlyBots
import PlyJSON
import PlyRules

extension BenchCommand {
    /// `ply bench bots`: the level ladder, in-process and without a server.
    struct Bots: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The bot ladder: each level against the one below it, level 1 against a random mover.",
            discussion: """
                Plays in this process, without a server: level N against level N-1 for N = 2..5 and level 1 \
                against a random mover, --games games a pairing with the sides alternating, each move within \
                its level's real time budget. Each pair of games starts from --opening-plies random moves, \
                played once from each side (the engines choose alike in alike positions, so without them a \
                pairing would replay the same two games). A pairing stops early after --seconds-per-pairing seconds (the \
                game under way is finished), and the table says how many games it played. Prints the table, \
                then the figures as one JSON object on the last line.
                """)

        @Option(help: "The games to measure, comma-separated.") var game = "reversi,hive,khet"
        @Option(help: "Games per pairing.") var games = 100
        @Option(help: "Wall-clock seconds per pairing before it stops early (0: no limit).") var secondsPerPairing = 0.0
        @Option(help: "The highest level to measure (pairings 1-random up to N vs N-1).") var top = 5
        @Option(help: "The lowest level to measure (1: from level 1 against random).") var from = 1
        @Option(help: "Random plies each pair of games starts from (one game from each side).") var openingPlies = 4
        @Option(help: "Plies after which a game counts as a draw.") var maxPlies = 400
        @Option(help: "Seed of the random tie-breaks and the random mover.") var seed: UInt64 = 22

        func run() throws {
            let chosen = game.split(separator: ",").map(String.init)
            for g in chosen where !PlyBots.Bots.games.contains(g) { throw ValidationError("no bot plays \(g)") }
            guard (1...5).contains(top), (1...top).contains(from), games > 0 else {
                throw ValidationError("--top is 1 to 5, --from 1 to --top, --games positive")
            }
            var rows: [JSONValue] = []
            var table = "game     pairing        games  win%  draw%  loss%  plies/game  longest move  over budget  seconds\n"
            let clock = ContinuousClock()
            for g in chosen {
                for n in from...top {
                    let candidate = Contender.level(BotLevel.level(n, game: g))
                    let opponent = n == 1 ? Contender.random : .level(BotLevel.level(n - 1, game: g))
                    let start = clock.now
                    let limit = secondsPerPairing
                    let tally = try PlyBots.BotLadder.series(
                        game: g, candidate: candidate, opponent: opponent, games: games, seed: seed &+ UInt64(n),
                        openingPlies: openingPlies, maxPlies: maxPlies,
                        shouldStop: { _ in limit > 0 && clock.now - start >= .milliseconds(Int64(limit * 1000)) })
                    let elapsed = clock.now - start
                    let pct = { (k: Int) in tally.games == 0 ? 0 : 100 * Double(k) / Double(tally.games) }
                    let pairing = "\(n) vs \(n == 1 ? "random" : String(n - 1))"
                    let row =
                        g.padding(toLength: 9, withPad: " ", startingAt: 0)
                        + pairing.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(
                            format: "%5d %5.0f %6.0f %6.0f %11.1f %11.3f s %12d %8.0f\n", tally.games, pct(tally.wins),
                            pct(tally.draws), pct(tally.losses), Double(tally.plies) / Double(max(tally.games, 1)),
                            tally.longestMove.seconds, tally.overBudget, elapsed.seconds)
                    table += row
                    // Each pairing as it ends, for a long run watched from a terminal.
                    FileHandle.standardError.write(Data(row.utf8))
                    rows.append(
                        .object([
                            "game": .string(g), "level": .int(n),
                            "opponent": .string(n == 1 ? "random" : "level \(n - 1)"),
                            "games": .int(tally.games), "wins": .int(tally.wins),
                            "draws": .int(tally.draws), "losses": .int(tally.losses),
                            "win_rate": .double(tally.winRate),
                            "longest_move_s": .double(tally.longestMove.seconds),
                            "moves_over_budget": .int(tally.overBudget), "plies": .int(tally.plies),
                            "seconds": .double(elapsed.seconds),
                        ]))
                }
            }
            print(table + JSONValue.object(["ladder": .array(rows)]).description)
        }
    }

    /// `ply bench reversi-engine`: the Reversi engine's search speed and endgame solve time.
    struct ReversiEngineBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reversi-engine",
            abstract: "The Reversi engine: midgame nodes per second and the exact solve time at N empties.",
            discussion: """
                Positions come from random games with a fixed seed: the midgame ones after 20 plies, the \
                endgame ones at --empties empty squares with the side to move having a move.
                """)

        @Option(help: "Positions to measure.") var positions = 10
        @Option(help: "Midgame search depth.") var depth = 8
        @Option(help: "Empty squares of the endgame positions.") var empties = 14
        @Option(help: "Seed of the random games.") var seed: UInt64 = 22

        func run() throws {
            let engine = ReversiEngine()
            let clock = ContinuousClock()
            var random = BotRandom(seed: seed)
            var nodes = 0
            var searchTime: Duration = .zero
            var solveTimes: [Duration] = []
            var solveNodes = 0
            for _ in 0..<positions {
                guard let mid = Self.randomPosition(plies: 20, random: &random) else { continue }
                let s = clock.now
                nodes += engine.searchNodes(mid, depth: depth, budget: .seconds(60))
                searchTime += clock.now - s
                guard let end = Self.randomPosition(empties: empties, random: &random) else { continue }
                let e = clock.now
                guard let solved = engine.solve(end, budget: .seconds(120)) else {
                    throw ValidationError("a solve at \(empties) empties took over 120 s")
                }
                solveTimes.append(clock.now - e)
                solveNodes += solved.nodes
            }
            solveTimes.sort()
            let nps = Double(nodes) / max(searchTime.seconds, 1e-9)
            let median = solveTimes.isEmpty ? 0 : solveTimes[solveTimes.count / 2].seconds
            let worst = solveTimes.last?.seconds ?? 0
            let solveNPS = Double(solveNodes) / max(solveTimes.reduce(.zero, +).seconds, 1e-9)
            print(
                String(
                    format: """
                        midgame depth %d: %.0f nodes/s over %d positions (%.2f s)
                        solve at %d empties: median %.3f s, max %.3f s over %d positions (%.0f nodes/s)

                        """, depth, nps, positions, searchTime.seconds, empties, median, worst, solveTimes.count,
                    solveNPS)
                    + JSONValue.object([
                        "midgame_depth": .int(depth), "nodes_per_second": .double(nps.rounded()),
                        "solve_empties": .int(empties), "solve_median_s": .double(median),
                        "solve_max_s": .double(worst), "solve_positions": .int(solveTimes.count),
                    ]).description)
        }

        /// A position of a random game after `plies` plies, or once `empties` squares are
        /// left with a move for the side to move; nil if the game ended first.
        static func randomPosition(plies: Int = .max, empties: Int = -1, random: inout BotRandom) -> ReversiPosition? {
            let rules = Reversi()
            var p = ReversiPosition.start
            var played = 0
            while played < plies {
                let moves = rules.legalMoves(p)
                if moves.isEmpty { return nil }
                let left = 64 - (p.black | p.white).nonzeroBitCount
                if left == empties, moves.contains(where: { $0 != .pass }) { return p }
                if left < empties { return nil }
                p = rules.play(moves.randomElement(using: &random)!, on: p)
                played += 1
            }
            return empties < 0 ? p : nil
        }
    }
}

extension BenchCommand {
    /// `ply bench search`: how long the Hive or Khet search takes to finish each depth.
    struct SearchBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "The Hive and Khet searches: the time each depth takes on fixed positions.",
            discussion: """
                Positions come from games of level 2 against itself (depth 2, no clock) from --opening-plies \
                random moves, taken every --every plies from ply --every on. Each position is searched to \
                each depth from 1 to --depth with a budget of --limit seconds. Prints, per depth, the median \
                and longest time, the nodes per second, and how many positions each level finishes within \
                the time its search may use (60% of its budget), then the figures as one JSON object.
                """)

        @Option(help: "hive or khet.") var game = "hive"
        @Option(help: "Games the positions come from.") var games = 4
        @Option(help: "Plies between positions taken from a game.") var every = 12
        @Option(help: "Positions taken per game.") var perGame = 4
        @Option(help: "The deepest search.") var depth = 5
        @Option(help: "Seconds a single search may take.") var limit = 20.0
        @Option(help: "Random plies each game starts from.") var openingPlies = 4
        @Option(help: "Seed of the openings and the tie-breaks.") var seed: UInt64 = 22

        func run() throws {
            guard game == "hive" || game == "khet" else { throw ValidationError("--game is hive or khet") }
            guard games > 0, every > 0, perGame > 0, (1...12).contains(depth), limit > 0 else {
                throw ValidationError("--games, --every and --per-game are positive, --depth 1 to 12, --limit above 0")
            }
            let settings: JSONObject = game == "hive" ? ["expansions": "MLP"] : [:]
            var random = BotRandom(seed: seed)
            var positions: [[String]] = []
            let picker = BotLevel.level(2, game: game).withBudget(.seconds(60))
            for _ in 0..<games {
                var moves = try BotLadder.randomOpening(game: game, settings: settings, plies: openingPlies, random: &random)
                var taken = 0
                while taken < perGame {
                    guard let m = try PlyBots.Bots.move(game: game, settings: settings, moves: moves, level: picker, random: &random) else { break }
                    moves.append(m)
                    if moves.count % every == 0 {
                        // A finished game has nothing to search.
                        if try RulesTool.replay(GameCatalog.game(game)!, settings: settings, moves: moves).state.outcome.isOver { break }
                        positions.append(moves)
                        taken += 1
                    }
                }
            }
            guard !positions.isEmpty else { throw ValidationError("the games ended before --every plies: no positions") }
            var table = "depth  median s  longest s  nodes/s   finished within level N's search time (N = 1...5)\n"
            var rows: [JSONValue] = []
            for d in 1...depth {
                var times: [Double] = []
                var nodes = 0
                var unfinished = 0
                for moves in positions {
                    let probe = try SearchProbe.run(
                        game: game, settings: settings, moves: moves, depth: d, budget: .milliseconds(Int64(limit * 1000)),
                        random: &random)
                    if probe.completedDepth < d { unfinished += 1 }
                    times.append(probe.elapsed.seconds)
                    nodes += probe.nodes
                }
                times.sort()
                let total = times.reduce(0, +)
                let within = (1...5).map { n in
                    times.filter { $0 <= 0.6 * BotLevel.level(n, game: game).budget.seconds }.count
                }
                let median = times[times.count / 2], longest = times.last ?? 0
                table += String(format: "%5d %9.3f %10.3f %8.0f   ", d, median, longest, Double(nodes) / max(total, 1e-9))
                table += within.map { "\($0)/\(times.count)" }.joined(separator: " ")
                table += unfinished > 0 ? "  (\(unfinished) over the \(limit) s limit)\n" : "\n"
                rows.append(
                    .object([
                        "depth": .int(d), "median_s": .double(median), "longest_s": .double(longest),
                        "nodes_per_second": .double((Double(nodes) / max(total, 1e-9)).rounded()),
                        "finished_within_level_time": .array(within.map { .int($0) }),
                        "unfinished": .int(unfinished),
                    ]))
            }
            print(table + JSONValue.object(["game": .string(game), "positions": .int(positions.count), "depths": .array(rows)]).description)
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
