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
        // Pieces on their way to the enemy queen. With a weight of 2, level 2 drew 20% of
        // 60 games against level 1 at the 400-ply cap (two bots that see no surrounding
        // within their depth shuffle); with 6, 2%.
        score += 6 * (me.closenessToEnemyQueen - them.closenessToEnemyQueen)
        score += 4 * (me.freePieces - them.freePieces)
        if me.queenPlaced { score += 5 }
        if them.queenPlaced { score -= 5 }
        return score
    }
}
