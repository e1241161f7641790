import PlyRules

/// Hive: alpha-beta over the rules' values with an evaluation of the queens' surroundings
/// (the game's goal), pieces on and near the enemy queen, and free pieces (mobility).
public struct HiveEngine: Sendable {
    let rules = HiveRules()
    public init() {}

    /// The move to play, or nil when the game is over (a forced pass is `.pass`).
    public func bestMove(_ position: HivePosition, history: [HivePosition] = [], level: BotLevel, random: inout BotRandom) -> HiveMove? {
        var search = search(budget: level.budget)
        return search.bestMove(position, history: history, depth: level.depth, random: &random)
    }

    func search(budget: Duration) -> GameSearch<HiveRules> {
        GameSearch(rules: rules, budget: budget, contempt: 20, key: \.searchKey, evaluate: Self.evaluate)
    }

    /// Worth to the side to move. A hex filled around a queen is worth far more once few
    /// are left, so the weight grows with each one.
    static func evaluate(_ position: HivePosition) -> Int {
        let f = position.features
        let me = f[position.colourToMove], them = f[1 - position.colourToMove]
        let weights = [0, 10, 25, 50, 100, 250, 0]
        var score = weights[them.queenSurroundings] - weights[me.queenSurroundings]
        score += 6 * (me.piecesAroundEnemyQueen - them.piecesAroundEnemyQueen)
        // Pieces on their way to the enemy queen, and pieces free to move. Weighed 6 and 4,
        // level 2 beat level 1 in 71% and 74% of 100 games (two seeds), level 4 level 3 in
        // 85%; weighed 3 and 8, in 87% and 80%, and 90% (`ply bench bots`, BENCHMARKS.md).
        score += 3 * (me.closenessToEnemyQueen - them.closenessToEnemyQueen)
        score += 8 * (me.freePieces - them.freePieces)
        if me.queenPlaced { score += 5 }
        if them.queenPlaced { score -= 5 }
        return score
    }
}
