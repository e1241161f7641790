import PlyRules

/// Reversi on the rules' bitboards: negamax alpha-beta over (mover, opponent) pairs with
/// an evaluation of mobility, corners, corner-adjacent squares and edge stability, and an
/// exact solve of the disc difference once few squares are empty.
public struct ReversiEngine: Sendable {
    public init() {}

    /// The move to play, or nil when the game is over. A forced pass is `.pass`.
    public func bestMove(_ position: ReversiPosition, level: BotLevel, random: inout BotRandom) -> ReversiMove? {
        var search = ReversiSearch(budget: level.budget)
        return search.bestMove(mover: position.mover, opponent: position.opponent, level: level, random: &random)
    }

    /// The exact result of perfect play (mover's discs minus opponent's at the end), with
    /// the best move and the nodes visited; nil if the budget ran out first.
    public func solve(_ position: ReversiPosition, budget: Duration) -> (score: Int, move: ReversiMove, nodes: Int)? {
        var search = ReversiSearch(budget: budget)
        guard let r = search.solveRoot(mover: position.mover, opponent: position.opponent) else { return nil }
        return (r.score, r.move, search.nodes)
    }

    /// Nodes per second of a fixed-depth midgame search from `position` (for benchmarks).
    public func searchNodes(_ position: ReversiPosition, depth: Int, budget: Duration) -> Int {
        var search = ReversiSearch(budget: budget)
        _ = search.negamax(position.mover, position.opponent, depth: depth, alpha: -win, beta: win)
        return search.nodes
    }
}

struct ReversiSearch {
    var deadline: Deadline
    var nodes = 0

    init(budget: Duration) { deadline = Deadline(budget: budget) }

    static let corners: UInt64 = 0x8100_0000_0000_0081
    /// b2, g2, b7, g7: next to a corner diagonally.
    static let xSquares: UInt64 = 0x0042_0000_0000_4200
    static let edges: UInt64 = 0xFF81_8181_8181_81FF
    /// Worth of a final disc difference: beyond any evaluation, short of a proven win.
    static let decided = 500_000

    mutating func bestMove(mover p: UInt64, opponent o: UInt64, level: BotLevel, random: inout BotRandom) -> ReversiMove? {
        let legal = ReversiBitboard.moves(mover: p, opponent: o)
        if legal == 0 {
            return ReversiBitboard.moves(mover: o, opponent: p) == 0 ? nil : .pass
        }
        var moves = squares(legal)
        moves.shuffle(using: &random)
        if moves.count == 1 { return .place(ReversiSquare(index: moves[0])!) }
        let empties = 64 - (p | o).nonzeroBitCount
        if empties <= level.endgameEmpties, let solved = solveRoot(mover: p, opponent: o, order: moves) {
            return solved.move
        }
        var best = moves[0]
        for depth in 1...max(level.depth, 1) {
            var alpha = -win
            var iterationBest: Int?
            var scores: [Int: Int] = [:]
            for sq in moves {
                let bit: UInt64 = 1 &<< UInt64(sq)
                let f = ReversiBitboard.flips(at: bit, mover: p, opponent: o)
                let score = -negamax(o & ~f, p | f | bit, depth: depth - 1, alpha: -win, beta: -alpha)
                if deadline.expired { break }
                scores[sq] = score
                if score > alpha {
                    alpha = score
                    iterationBest = sq
                }
            }
            if let b = iterationBest { best = b }
            if deadline.expired { break }
            moves.sort { (scores[$0] ?? -win) > (scores[$1] ?? -win) }
            if abs(alpha) >= Self.decided { break }
        }
        return .place(ReversiSquare(index: best)!)
    }

    func squares(_ set: UInt64) -> [Int] {
        var m = set
        var out: [Int] = []
        out.reserveCapacity(m.nonzeroBitCount)
        while m != 0 {
            out.append(m.trailingZeroBitCount)
            m &= m &- 1
        }
        return out
    }

    // MARK: Midgame

    mutating func negamax(_ p: UInt64, _ o: UInt64, depth: Int, alpha: Int, beta: Int) -> Int {
        nodes &+= 1
        if deadline.check(every: 1024) { return 0 }
        var m = ReversiBitboard.moves(mover: p, opponent: o)
        if m == 0 {
            if ReversiBitboard.moves(mover: o, opponent: p) == 0 { return Self.final(p, o) }
            return -negamax(o, p, depth: depth, alpha: -beta, beta: -alpha)
        }
        if depth <= 0 { return Self.evaluate(p, o, mobility: m) }
        var alpha = alpha
        var best = -win
        // Corners first: the cheapest good ordering.
        var ordered = [m & Self.corners, m & ~Self.corners & ~Self.xSquares, m & Self.xSquares & ~Self.corners]
        for i in 0..<3 {
            m = ordered[i]
            while m != 0 {
                let bit = m & (0 &- m)
                m &= m &- 1
                let f = ReversiBitboard.flips(at: bit, mover: p, opponent: o)
                let score = -negamax(o & ~f, p | f | bit, depth: depth - 1, alpha: -beta, beta: -alpha)
                if score > best { best = score }
                if score > alpha { alpha = score }
                if alpha >= beta { return best }
            }
            ordered[i] = 0
        }
        return best
    }

    static func final(_ p: UInt64, _ o: UInt64) -> Int {
        let diff = p.nonzeroBitCount - o.nonzeroBitCount
        return diff > 0 ? decided + diff : diff < 0 ? -decided + diff : 0
    }

    /// Mobility, corners, squares that give corners away, edge discs anchored on an owned
    /// corner (which can never be turned over), and the discs themselves near the end.
    static func evaluate(_ p: UInt64, _ o: UInt64, mobility mine: UInt64) -> Int {
        let theirs = ReversiBitboard.moves(mover: o, opponent: p)
        let pm = mine.nonzeroBitCount, om = theirs.nonzeroBitCount
        var score = 80 * (pm - om) / (pm + om + 2)
        score += 25 * ((p & corners).nonzeroBitCount - (o & corners).nonzeroBitCount)
        let empty = ~(p | o)
        // An X-square next to an empty corner hands the corner over.
        var xRisk = 0
        for (corner, x) in [(0, 9), (7, 14), (56, 49), (63, 54)] where empty & (1 &<< UInt64(corner)) != 0 {
            let bit: UInt64 = 1 &<< UInt64(x)
            if p & bit != 0 { xRisk -= 1 }
            if o & bit != 0 { xRisk += 1 }
        }
        score += 12 * xRisk
        score += 6 * (stableEdges(p) - stableEdges(o))
        let discs = (p | o).nonzeroBitCount
        if discs > 50 { score += (p.nonzeroBitCount - o.nonzeroBitCount) }
        return score
    }

    /// Discs on the edges in unbroken runs of one colour from a corner of that colour.
    static func stableEdges(_ d: UInt64) -> Int {
        var stable: UInt64 = 0
        // (corner, step) pairs along the four edges, both ways.
        let runs: [(Int, Int)] = [(0, 1), (0, 8), (7, -1), (7, 8), (56, 1), (56, -8), (63, -1), (63, -8)]
        for (corner, step) in runs {
            var sq = corner
            for _ in 0..<8 {
                let bit: UInt64 = 1 &<< UInt64(sq)
                guard d & bit != 0 else { break }
                stable |= bit
                sq += step
            }
        }
        return stable.nonzeroBitCount
    }

    // MARK: Endgame

    /// Solves the position exactly; nil if the time ran out.
    mutating func solveRoot(mover p: UInt64, opponent o: UInt64, order: [Int]? = nil) -> (score: Int, move: ReversiMove)? {
        let legal = ReversiBitboard.moves(mover: p, opponent: o)
        if legal == 0 {
            if ReversiBitboard.moves(mover: o, opponent: p) == 0 { return nil }
            let s = -solve(o, p, alpha: -64, beta: 64)
            return deadline.expired ? nil : (s, .pass)
        }
        var alpha = -65
        var best = -1
        for sq in order ?? squares(legal) {
            let bit: UInt64 = 1 &<< UInt64(sq)
            let f = ReversiBitboard.flips(at: bit, mover: p, opponent: o)
            let score = -solve(o & ~f, p | f | bit, alpha: -64, beta: -alpha)
            if deadline.expired { return nil }
            if score > alpha {
                alpha = score
                best = sq
            }
        }
        return (alpha, .place(ReversiSquare(index: best)!))
    }

    /// The exact final disc difference for the mover, within (alpha, beta).
    mutating func solve(_ p: UInt64, _ o: UInt64, alpha: Int, beta: Int) -> Int {
        nodes &+= 1
        if deadline.check(every: 4096) { return 0 }
        var m = ReversiBitboard.moves(mover: p, opponent: o)
        if m == 0 {
            if ReversiBitboard.moves(mover: o, opponent: p) == 0 { return p.nonzeroBitCount - o.nonzeroBitCount }
            return -solve(o, p, alpha: -beta, beta: -alpha)
        }
        var alpha = alpha
        var best = -65
        let empties = 64 - (p | o).nonzeroBitCount
        if empties > 6 {
            // Fastest first: the reply that leaves the opponent the fewest moves.
            var children: [(UInt64, UInt64, Int)] = []
            children.reserveCapacity(m.nonzeroBitCount)
            while m != 0 {
                let bit = m & (0 &- m)
                m &= m &- 1
                let f = ReversiBitboard.flips(at: bit, mover: p, opponent: o)
                let np = p | f | bit, no = o & ~f
                let reply = ReversiBitboard.moves(mover: no, opponent: np).nonzeroBitCount
                children.append((np, no, reply * 4 - (bit & Self.corners != 0 ? 8 : 0)))
            }
            children.sort { $0.2 < $1.2 }
            for (np, no, _) in children {
                let score = -solve(no, np, alpha: -beta, beta: -alpha)
                if score > best { best = score }
                if score > alpha { alpha = score }
                if alpha >= beta { break }
            }
            return best
        }
        while m != 0 {
            let bit = m & (0 &- m)
            m &= m &- 1
            let f = ReversiBitboard.flips(at: bit, mover: p, opponent: o)
            let score = -solve(o & ~f, p | f | bit, alpha: -beta, beta: -alpha)
            if score > best { best = score }
            if score > alpha { alpha = score }
            if alpha >= beta { break }
        }
        return best
    }
}
