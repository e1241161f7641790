import PlyJSON
import PlyRules
import Testing

@testable import PlyBots

@Suite("Search")
struct SearchTests {
    /// Plain negamax without pruning or a table: what the search must agree with.
    static func minimax<R: GameRules>(
        _ rules: R, _ p: R.Position, depth: Int, ply: Int, contempt: Int, evaluate: (R.Position) -> Int
    ) -> Int {
        switch rules.outcome(p) {
        case .win(let seat, _): return seat == rules.sideToMove(p) ? win - ply : -(win - ply)
        case .draw: return ply % 2 == 0 ? -contempt : contempt
        case .ongoing: break
        }
        if depth == 0 { return evaluate(p) }
        var best = -win - 1
        for m in rules.legalMoves(p) {
            best = max(best, -minimax(rules, rules.play(m, on: p), depth: depth - 1, ply: ply + 1, contempt: contempt, evaluate: evaluate))
        }
        return best
    }

    /// Iterative deepening with the table kept between iterations, as `bestMove` runs it.
    static func searched<R: GameRules>(_ search: inout GameSearch<R>, _ p: R.Position, depth: Int) -> Int {
        var value = 0
        for d in 1...depth { value = search.negamax(p, depth: d, alpha: -win - 1, beta: win + 1, ply: 0) }
        return value
    }

    @Test("the Hive search's value equals plain minimax", arguments: [(12, UInt64(31), 3), (24, 32, 2), (40, 33, 2), (60, 34, 2)])
    func hiveAgreesWithMinimax(_ plies: Int, _ seed: UInt64, _ depth: Int) throws {
        let rules = HiveRules()
        let moves = try playout("hive", settings: ["expansions": "MLP"], plies: plies, seed: seed)
        let p = try Bots.replay(rules, settings: ["expansions": "MLP"], moves: moves)
        var search = HiveEngine().search(budget: .seconds(600))
        let value = Self.searched(&search, p, depth: depth)
        let expected = Self.minimax(rules, p, depth: depth, ply: 0, contempt: search.contempt, evaluate: search.evaluate)
        #expect(value == expected, "after \(plies) plies at depth \(depth)")
        #expect(search.deadline.expired == false)
    }

    @Test("the Khet search's value equals plain minimax", arguments: [(6, UInt64(41), 3), (20, 42, 2), (40, 43, 2)])
    func khetAgreesWithMinimax(_ plies: Int, _ seed: UInt64, _ depth: Int) throws {
        let rules = Khet()
        var moves = try playout("khet", plies: plies, seed: seed)
        if try state("khet", [:], moves).outcome.isOver { moves.removeLast() }
        let p = try Bots.replay(rules, settings: [:], moves: moves)
        var search = KhetEngine().search(budget: .seconds(600))
        let value = Self.searched(&search, p, depth: depth)
        let expected = Self.minimax(rules, p, depth: depth, ply: 0, contempt: search.contempt, evaluate: search.evaluate)
        #expect(value == expected, "after \(moves.count) plies at depth \(depth)")
    }

    /// An evaluation that loves one child of the root: the search picks the move to it,
    /// unless that child already stood in the game, which scores as a draw.
    @Test("a position that stood before in the game scores as a draw", arguments: ["hive", "khet"])
    func repetitionScoresAsADraw(_ id: String) throws {
        var random = BotRandom(seed: 5)
        let moves = try playout(id, settings: [:], plies: 20, seed: 51)
        func check<R: GameRules>(_ rules: R, key: @escaping (R.Position) -> Int) throws {
            let p = try Bots.replay(rules, settings: [:], moves: moves)
            let legal = rules.legalMoves(p)
            #expect(legal.count > 1)
            let favourite = legal[legal.count / 2]
            let child = rules.play(favourite, on: p), childKey = key(child)
            // From the child's side to move: -1000 there is +1000 for the root's side.
            let evaluate = { (q: R.Position) in key(q) == childKey ? -1000 : 0 }
            var fresh = GameSearch(rules: rules, budget: .seconds(60), contempt: 20, key: key, evaluate: evaluate)
            #expect(fresh.bestMove(p, depth: 1, random: &random) == favourite)
            var repeated = GameSearch(rules: rules, budget: .seconds(60), contempt: 20, key: key, evaluate: evaluate)
            let chosen = repeated.bestMove(p, history: [child], depth: 1, random: &random)
            #expect(chosen != nil && chosen != favourite)
        }
        if id == "hive" { try check(HiveRules(), key: \.searchKey) } else { try check(Khet(), key: \.searchKey) }
    }

    @Test("Bots.move hands the search the game's earlier positions: the bot does not walk back into one")
    func botsMoveKnowsTheGame() throws {
        let rules = Khet(), level = BotLevel.level(1, game: "khet")
        let p0 = try Bots.replay(rules, settings: [:], moves: [])
        // Silver's choice at the start, a red move, then a silver and a red move that bring
        // the start back: the bot, fresh, would play its first choice again.
        var random = BotRandom(seed: 7)
        let a = try #require(KhetEngine().bestMove(p0, level: level, random: &random))
        let p1 = rules.play(a, on: p0)
        var cycle: [String]?
        search: for b in rules.legalMoves(p1) {
            let p2 = rules.play(b, on: p1)
            for m in rules.legalMoves(p2) {
                let p3 = rules.play(m, on: p2)
                for n in rules.legalMoves(p3) where rules.play(n, on: p3).searchKey == p0.searchKey {
                    cycle = [rules.notation(a, in: p0), rules.notation(b, in: p1), rules.notation(m, in: p2), rules.notation(n, in: p3)]
                    break search
                }
            }
        }
        let moves = try #require(cycle)
        let line = try Bots.positions(rules, settings: [:], moves: moves)
        let earlier = Set(line.dropLast().map(\.searchKey))
        let now = line[line.count - 1]
        random = BotRandom(seed: 7)
        let fresh = try #require(KhetEngine().bestMove(now, level: level, random: &random))
        #expect(earlier.contains(rules.play(fresh, on: now).searchKey), "without the history the bot repeats")
        random = BotRandom(seed: 7)
        let played = try #require(try Bots.move(game: "khet", settings: [:], moves: moves, level: level, random: &random))
        #expect(!earlier.contains(try rules.apply(notation: played, to: now).searchKey))
    }

    @Test("Hive's key tells turns apart only while the queens' deadline runs")
    func hiveKeyAndTheTurn() throws {
        let rules = HiveRules()
        func play(_ moves: [String], from start: HivePosition) throws -> HivePosition {
            var p = start
            for m in moves { p = try rules.apply(notation: m, to: p) }
            return p
        }
        let p6 = try play(["wS1", "bS1 wS1-", "wQ -wS1", "bQ bS1-", "wB1 /wQ", "bB1 bQ\\"], from: rules.initialPosition(.init()))
        // The beetles climb the queens and come back: the same pieces stand four plies later.
        let cycle = ["wB1 wQ", "bB1 bQ", "wB1 /wQ", "bB1 bQ\\"]
        let p10 = try play(cycle, from: p6), p14 = try play(cycle, from: p10)
        // The picture below its first line, which names the turn.
        let board = { (p: HivePosition) in rules.describe(p).split(separator: "\n").dropFirst() }
        #expect(board(p10) == board(p6) && board(p14) == board(p10))
        // Before ply 8 the turn is part of the position; from ply 8 on, only whose turn it is.
        #expect(p10.searchKey != p6.searchKey)
        #expect(p14.searchKey == p10.searchKey)
    }

    @Test("the table returns what it stored, keeps the deeper of two positions, and replaces its own")
    func tableSlots() {
        var table = TranspositionTable<Int>(size: 4096)
        #expect(table.probe(7) == nil)
        table.store(7, depth: 3, score: 40, bound: .exact, move: 1)
        let e = table.probe(7)
        #expect(e?.score == 40 && e?.depth == 3 && e?.bound == .exact && e?.move == 1)
        // 7 + 4096 lands in the same slot: a shallower result for it does not evict depth 3.
        table.store(7 + 4096, depth: 2, score: 5, bound: .lower, move: 2)
        #expect(table.probe(7 + 4096) == nil)
        #expect(table.probe(7)?.move == 1)
        // A deeper one does, and the same position always replaces its own entry.
        table.store(7 + 4096, depth: 4, score: 6, bound: .upper, move: 3)
        #expect(table.probe(7) == nil)
        #expect(table.probe(7 + 4096)?.move == 3)
        table.store(7 + 4096, depth: 1, score: -9, bound: .exact, move: nil)
        #expect(table.probe(7 + 4096)?.score == -9)
        #expect(table.probe(7 + 4096)?.move == nil)
    }

    @Test("a win keeps its distance when the table meets its position at another ply")
    func winScoresAreRelativeToTheNode() {
        typealias S = GameSearch<HiveRules>
        // A win 3 plies below a node at ply 5 scores win - 8 at the root.
        let stored = S.toTable(win - 8, ply: 5)
        #expect(stored == win - 3)
        #expect(S.fromTable(stored, ply: 2) == win - 5)
        #expect(S.fromTable(S.toTable(-(win - 8), ply: 5), ply: 2) == -(win - 5))
        #expect(S.toTable(123, ply: 9) == 123)
    }

    @Test("the Hive features count both colours from one board")
    func hiveFeatures() throws {
        // A line from west to east: wQ wA1 bA1 bQ.
        let rules = HiveRules()
        var p = rules.initialPosition(.init())
        for m in ["wA1", "bA1 wA1-", "wQ -wA1", "bQ bA1-"] { p = try rules.apply(notation: m, to: p) }
        let f = p.features
        #expect(f.white.queenPlaced && f.black.queenPlaced)
        #expect(f.white.queenSurroundings == 1 && f.black.queenSurroundings == 1)
        #expect(f.white.piecesAroundEnemyQueen == 0 && f.black.piecesAroundEnemyQueen == 0)
        // wA1 and bA1 stand two hexes from the other queen: 4 - 2 each.
        #expect(f.white.closenessToEnemyQueen == 2 && f.black.closenessToEnemyQueen == 2)
        // The ants hold the line together; only the queens at its ends may leave.
        #expect(f.white.freePieces == 1 && f.black.freePieces == 1)
        // A spider beside each queen and ant closes a triangle: the queens are free too.
        p = try rules.apply(notation: "wS1 wQ/", to: p)
        p = try rules.apply(notation: "bS1 /bQ", to: p)
        let g = p.features
        #expect(g.white.freePieces == 2 && g.black.freePieces == 2)
        // Before a queen is placed, its colour has no surroundings and no free pieces.
        var early = rules.initialPosition(.init())
        for m in ["wA1", "bA1 wA1-"] { early = try rules.apply(notation: m, to: early) }
        #expect(early.features.white == early.features.black && early.features.white.queenSurroundings == 0 && early.features.white.freePieces == 0 && !early.features.white.queenPlaced)
    }
}
