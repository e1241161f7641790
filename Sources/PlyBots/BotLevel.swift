import PlyRules

/// How hard a bot plays: a search depth and a time budget per move. A search stops at
/// whichever comes first, and a move never takes longer than the budget.
public struct BotLevel: Hashable, Sendable {
    /// 1 (weakest) to 5.
    public var number: Int
    /// Deepest full-width search, in plies.
    public var depth: Int
    /// Wall-clock time the whole move may take.
    public var budget: Duration
    /// Reversi: empties from which the game is solved exactly (0: never).
    public var endgameEmpties: Int

    public init(number: Int, depth: Int, budget: Duration, endgameEmpties: Int = 0) {
        self.number = number
        self.depth = depth
        self.budget = budget
        self.endgameEmpties = endgameEmpties
    }

    /// The five levels of a game. Depths differ by game because their branching does:
    /// Reversi has about 10 moves a position, Hive and Khet 50 to 100.
    public static func level(_ n: Int, game: String) -> BotLevel {
        let n = min(max(n, 1), 5)
        switch game {
        case "reversi":
            let depth = [1, 2, 4, 6, 8][n - 1]
            let ms = [100, 250, 500, 1500, 4000][n - 1]
            // Every level plays the last squares perfectly, level 1 the last 6 (well under a
            // millisecond): a one-ply search alone beat a random mover in 93% of 1000 games,
            // with the solve in 96%.
            let empties = [6, 8, 10, 12, 14][n - 1]
            return BotLevel(number: n, depth: depth, budget: .milliseconds(ms), endgameEmpties: empties)
        default:
            // One ply more each level: with two levels at the same depth the higher won
            // only 18% (Hive) and 23% (Khet) of its games, most drawn. The budgets double,
            // so the deeper levels reach their depth when the position allows and stop at
            // the clock when it does not. Hive's level 5 looks two plies past level 4: one
            // more ply won 65 to 71% of 100 games there, below the ladder's 70% bar.
            let depth = game == "hive" ? [1, 2, 3, 4, 6][n - 1] : [1, 2, 3, 4, 5][n - 1]
            let ms = [50, 100, 200, 400, 800][n - 1]
            return BotLevel(number: n, depth: depth, budget: .milliseconds(ms))
        }
    }

    /// This level with another budget (tests use small ones).
    public func withBudget(_ budget: Duration) -> BotLevel {
        var l = self
        l.budget = budget
        return l
    }
}

/// The bots' random source: seedable, so bot games can be replayed.
public typealias BotRandom = SeededRandom

/// The time a search may use, checked every few nodes.
struct Deadline {
    let clock = ContinuousClock()
    let end: ContinuousClock.Instant
    private(set) var expired = false
    private var countdown = 0

    /// Ends at `share` of the budget less `reserve`, but never before `floor` of it. The
    /// rest is for the move's bookkeeping after the last node and for the time a loaded
    /// machine does not run this thread at all.
    init(budget: Duration, share: Double = 0.85, reserve: Duration = .milliseconds(3), floor: Double = 0.5) {
        end = clock.now.advanced(by: max(budget * share - reserve, budget * floor))
    }

    /// True once the time is up; reads the clock every `every` calls.
    @inline(__always) mutating func check(every: Int = 64) -> Bool {
        if expired { return true }
        countdown -= 1
        if countdown > 0 { return false }
        countdown = every
        if clock.now >= end { expired = true }
        return expired
    }

    var remaining: Duration { end - clock.now }
}
