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
    var deadline: Deadline
    var nodes = 0

    init(rules: R, budget: Duration, evaluate: @escaping (R.Position) -> Int) {
        self.rules = rules
        self.evaluate = evaluate
        deadline = Deadline(budget: budget)
    }

    /// The best move found within the depth and the time, ties broken by `random`.
    /// Always a legal move when there is one: depth 1 is finished whatever the clock says
    /// only if time allows; otherwise the first legal move stands.
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
        // A node of these games costs microseconds (move lists and positions as values),
        // so reading the clock at every one costs little and keeps the budget tight.
        if deadline.check(every: 1) { return 0 }
        switch rules.outcome(position) {
        case .win(let seat, _): return seat == rules.sideToMove(position) ? win - ply : -(win - ply)
        case .draw: return 0
        case .ongoing: break
        }
        if depth <= 0 { return evaluate(position) }
        let moves = rules.legalMoves(position)
        var alpha = alpha
        var best = -win - 1
        for m in moves {
            let score = -negamax(rules.play(m, on: position), depth: depth - 1, alpha: -beta, beta: -alpha, ply: ply + 1)
            if deadline.expired { return 0 }
            if score > best { best = score }
            if score > alpha { alpha = score }
            if alpha >= beta { break }
        }
        return best
    }
}
