import PlyJSON
import PlyRules

/// One search of a Hive or Khet engine, measured: for `ply bench search`, which times how
/// long each depth takes on fixed positions.
public struct SearchProbe: Hashable, Sendable {
    /// Nodes visited.
    public var nodes: Int
    /// The deepest iteration that finished within the budget.
    public var completedDepth: Int
    /// The move chosen, in the game's notation.
    public var move: String?
    public var elapsed: Duration

    /// Searches the position after `moves` to `depth` plies or until `budget` runs out.
    public static func run(
        game: String, settings: JSONObject = [:], moves: [String], depth: Int, budget: Duration, random: inout BotRandom
    ) throws(BotError) -> SearchProbe {
        try BotError.from {
            switch game {
            case "hive":
                let rules = HiveRules()
                return measure(HiveEngine().search(budget: budget), try Bots.replay(rules, settings: settings, moves: moves), depth, &random)
            case "khet":
                let rules = Khet()
                return measure(KhetEngine().search(budget: budget), try Bots.replay(rules, settings: settings, moves: moves), depth, &random)
            default:
                throw BotError("no search probe for \(game)")
            }
        }
    }

    private static func measure<R: GameRules>(
        _ search: GameSearch<R>, _ position: R.Position, _ depth: Int, _ random: inout BotRandom
    ) -> SearchProbe {
        var search = search
        let clock = ContinuousClock()
        let start = clock.now
        let move = search.bestMove(position, depth: depth, random: &random)
        let elapsed = clock.now - start
        return SearchProbe(
            nodes: search.nodes, completedDepth: search.completedDepth,
            move: move.map { search.rules.notation($0, in: position) }, elapsed: elapsed)
    }
}
