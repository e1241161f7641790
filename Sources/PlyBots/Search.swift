import PlyRules

/// Scores are from the side to move's point of view; a win found `n` plies away scores
/// `win - n`, so the nearest win and the farthest loss are preferred.
let win = 1_000_000

/// Negamax alpha-beta with iterative deepening over any game's rules, as values: the
/// Hive and Khet engines use it with their own evaluations.
struct GameSearch<R: GameRules> {
    let rules: R
    /// The position's worth to the side to move.
    let evaluate: (R.Position) -> Int
    /// What a draw costs the side the search is for (its opponent gains as much): a bot
    /// that is not losing plays on instead of repeating or claiming a draw, so games end.
    let contempt: Int
    var deadline: Deadline
    var nodes = 0
    /// Per ply, the last move that cut the search off there: tried first among its
    /// siblings, where it often cuts again.
    private var killers: [R.Move?] = []

    init(rules: R, budget: Duration, contempt: Int = 0, evaluate: @escaping (R.Position) -> Int) {
        self.rules = rules
        self.evaluate = evaluate
        self.contempt = contempt
        // Reversi stops at 85% of the budget; here that let level-3 moves take up to 1.37 s
        // of their 1 s in a ladder run on two busy cores, so more is kept back.
        deadline = Deadline(budget: budget, share: 0.6, reserve: .milliseconds(2), floor: 0.4)
    }

    /// The best move found within the depth and the time, ties broken by `random`.
    /// Always a legal move when there is one: if the clock stops even the first
    /// iteration, the best of the root moves it finished stands, or the first legal move.
    mutating func bestMove(_ position: R.Position, depth: Int, random: inout BotRandom) -> R.Move? {
        var moves = rules.legalMoves(position)
        guard !moves.isEmpty else { return nil }
        moves.shuffle(using: &random)
        if moves.count == 1 { return moves[0] }
        var best = moves[0]
        for d in 1...max(depth, 1) {
            var alpha = -win - 1
            var iterationBest: R.Move?
            var scored: [(R.Move, Int)] = []
            for m in moves {
                let score = -negamax(rules.play(m, on: position), depth: d - 1, alpha: -win - 1, beta: -alpha + 1, ply: 1)
                if deadline.expired { break }
                scored.append((m, score))
                if score > alpha {
                    alpha = score
                    iterationBest = m
                }
            }
            if deadline.expired {
                // Moves finish in order, the last iteration's best first: a move that
                // finished and beat it is a true improvement.
                if let b = iterationBest { best = b }
                break
            }
            guard let b = iterationBest else { break }
            best = b
            // Search the best move first next time; a win needs no deeper look.
            moves.sort { l, r in scoredValue(scored, l) > scoredValue(scored, r) }
            if alpha >= win - 64 { break }
        }
        return best
    }

    private func scoredValue(_ scored: [(R.Move, Int)], _ m: R.Move) -> Int {
        scored.first { $0.0 == m }?.1 ?? -win
    }

    mutating func negamax(_ position: R.Position, depth: Int, alpha: Int, beta: Int, ply: Int) -> Int {
        nodes += 1
        // A node costs microseconds, so reading the clock at every one costs little and
        // keeps the budget tight.
        if deadline.check(every: 1) { return 0 }
        switch rules.outcome(position) {
        case .win(let seat, _): return seat == rules.sideToMove(position) ? win - ply : -(win - ply)
        case .draw: return ply % 2 == 0 ? -contempt : contempt
        case .ongoing: break
        }
        if depth <= 0 { return evaluate(position) }
        var moves = rules.legalMoves(position)
        // Generating a Hive or Khet move list is a node's costliest step: look again.
        if deadline.check(every: 1) { return 0 }
        if killers.count <= ply { killers.append(contentsOf: repeatElement(nil, count: ply + 1 - killers.count)) }
        if let k = killers[ply], let i = moves.firstIndex(of: k), i > 0 { moves.swapAt(0, i) }
        var alpha = alpha
        var best = -win - 1
        for m in moves {
            let score = -negamax(rules.play(m, on: position), depth: depth - 1, alpha: -beta, beta: -alpha, ply: ply + 1)
            if deadline.expired { return 0 }
            if score > best { best = score }
            if score > alpha { alpha = score }
            if alpha >= beta {
                killers[ply] = m
                break
            }
        }
        return best
    }
}
