import PlyRules

/// Scores are from the side to move's point of view; a win found `n` plies away scores
/// `win - n`, so the nearest win and the farthest loss are preferred.
let win = 1_000_000

/// Negamax alpha-beta with iterative deepening over any game's rules, as values: the
/// Hive and Khet engines use it with their own evaluations. Each node tries the move a
/// transposition table remembers, then two killer moves, then the rest; all but the first
/// move get a null-window search first (principal variation search), re-searched in full
/// only when they might beat the best so far. A position that already stood in the game,
/// or earlier on the line being searched, scores as a draw: a bot that is not behind looks
/// for progress instead of shuffling (Hive has no repetition rule, and without this two
/// bots could shuffle until the ply cap).
struct GameSearch<R: GameRules> {
    let rules: R
    /// The position's worth to the side to move.
    let evaluate: (R.Position) -> Int
    /// A hash of what the rules look at in a position (history aside), for the table.
    let key: (R.Position) -> Int
    /// What a draw costs the side the search is for (its opponent gains as much): a bot
    /// that is not losing plays on instead of repeating or claiming a draw, so games end.
    let contempt: Int
    var deadline: Deadline
    var nodes = 0
    /// The deepest iteration that finished before the clock stopped the search.
    private(set) var completedDepth = 0
    /// Per ply, the last two moves that cut the search off there: tried early among their
    /// siblings, where they often cut again.
    private var killers: [(R.Move?, R.Move?)] = []
    private var table: TranspositionTable<R.Move>
    /// Keys of the game's earlier positions and of the line from the root to this node.
    private var line: Set<Int> = []

    init(
        rules: R, budget: Duration, contempt: Int = 0, key: @escaping (R.Position) -> Int,
        evaluate: @escaping (R.Position) -> Int
    ) {
        self.rules = rules
        self.evaluate = evaluate
        self.key = key
        self.contempt = contempt
        // Reversi stops at 85% of the budget; here that let level-3 moves take up to 1.37 s
        // of their 1 s in a ladder run on two busy cores, so more is kept back.
        deadline = Deadline(budget: budget, share: 0.6, reserve: .milliseconds(2), floor: 0.4)
        // About one entry per 8 nodes the budget allows at a million nodes a second.
        table = TranspositionTable(size: Int((budget / .milliseconds(1)) * 128))
    }

    /// The best move found within the depth and the time, ties broken by `random`.
    /// Always a legal move when there is one: if the clock stops even the first
    /// iteration, the best of the root moves it finished stands, or the first legal move.
    /// `history` is the game's positions before this one, oldest first.
    mutating func bestMove(_ position: R.Position, history: [R.Position] = [], depth: Int, random: inout BotRandom) -> R.Move? {
        line = Set(history.map(key))
        line.insert(key(position))
        var moves = rules.legalMoves(position)
        guard !moves.isEmpty else { return nil }
        moves.shuffle(using: &random)
        if moves.count == 1 {
            completedDepth = depth
            return moves[0]
        }
        var best = moves[0]
        for d in 1...max(depth, 1) {
            var alpha = -win - 1
            var iterationBest: R.Move?
            var scores = Array(repeating: -win - 1, count: moves.count)
            for (i, m) in moves.enumerated() {
                let child = rules.play(m, on: position)
                var score: Int
                if i == 0 {
                    score = -negamax(child, depth: d - 1, alpha: -win - 1, beta: win + 1, ply: 1)
                } else {
                    score = -negamax(child, depth: d - 1, alpha: -alpha - 1, beta: -alpha, ply: 1)
                    if score > alpha && !deadline.expired {
                        score = -negamax(child, depth: d - 1, alpha: -win - 1, beta: -alpha, ply: 1)
                    }
                }
                if deadline.expired { break }
                scores[i] = score
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
            completedDepth = d
            // Search the best move first next time (a stable sort keeps the shuffled order
            // among equals); a win needs no deeper look.
            let order = moves.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            moves = order.map { moves[$0] }
            if alpha >= win - 64 {
                completedDepth = depth
                break
            }
        }
        return best
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
        let hash = key(position)
        if line.contains(hash) { return ply % 2 == 0 ? -contempt : contempt }
        if depth <= 0 { return evaluate(position) }
        var hashMove: R.Move?
        if let entry = table.probe(hash) {
            hashMove = entry.move
            if Int(entry.depth) >= depth {
                let score = Self.fromTable(Int(entry.score), ply: ply)
                switch entry.bound {
                case .exact: return score
                case .lower where score >= beta: return score
                case .upper where score <= alpha: return score
                default: break
                }
            }
        }
        var moves = rules.legalMoves(position)
        // Generating a Hive or Khet move list is a node's costliest step: look again.
        if deadline.check(every: 1) { return 0 }
        if killers.count <= ply { killers.append(contentsOf: repeatElement((nil, nil), count: ply + 1 - killers.count)) }
        var front = 0
        for candidate in [hashMove, killers[ply].0, killers[ply].1] {
            guard let m = candidate, let i = moves[front...].firstIndex(of: m) else { continue }
            moves.swapAt(front, i)
            front += 1
        }
        line.insert(hash)
        defer { line.remove(hash) }
        let alphaStart = alpha
        var alpha = alpha
        var best = -win - 1
        var bestMove: R.Move?
        for (i, m) in moves.enumerated() {
            let child = rules.play(m, on: position)
            var score: Int
            if i == 0 {
                score = -negamax(child, depth: depth - 1, alpha: -beta, beta: -alpha, ply: ply + 1)
            } else {
                score = -negamax(child, depth: depth - 1, alpha: -alpha - 1, beta: -alpha, ply: ply + 1)
                if score > alpha && score < beta && !deadline.expired {
                    score = -negamax(child, depth: depth - 1, alpha: -beta, beta: -alpha, ply: ply + 1)
                }
            }
            if deadline.expired { return 0 }
            if score > best {
                best = score
                bestMove = m
            }
            if score > alpha { alpha = score }
            if alpha >= beta {
                if killers[ply].0 != m { killers[ply] = (m, killers[ply].0) }
                break
            }
        }
        let bound: TranspositionTable<R.Move>.Bound = best >= beta ? .lower : best > alphaStart ? .exact : .upper
        table.store(hash, depth: depth, score: Self.toTable(best, ply: ply), bound: bound, move: bestMove)
        return best
    }

    /// A win's score counts plies from the root; the table keeps it from the node, so it
    /// stays true when the node is met at another ply.
    static func toTable(_ score: Int, ply: Int) -> Int {
        score > win - 1000 ? score + ply : score < -(win - 1000) ? score - ply : score
    }

    static func fromTable(_ score: Int, ply: Int) -> Int {
        score > win - 1000 ? score - ply : score < -(win - 1000) ? score + ply : score
    }
}
