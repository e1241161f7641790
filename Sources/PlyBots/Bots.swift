import PlyJSON
import PlyRules

/// Why a bot could not choose a move.
public struct BotError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Runs `body`, passing a `BotError` on and wrapping any other error (a rule or
    /// settings error from replaying the game) in one.
    static func from<T>(_ body: () throws -> T) throws(BotError) -> T {
        do {
            return try body()
        } catch let e as BotError {
            throw e
        } catch {
            throw BotError("\(error)")
        }
    }
}

/// The engines behind one entry point that speaks notation, as matches do: the game,
/// its own settings and the moves so far in, a move in the game's notation out.
public enum Bots {
    public static let games = ["reversi", "hive", "khet"]

    /// The move the bot of `level` plays after `moves`, or nil when the game is over.
    public static func move(
        game: String, settings: JSONObject, moves: [String], level: Int, random: inout BotRandom
    ) throws(BotError) -> String? {
        let budgetLevel = BotLevel.level(level, game: game)
        return try move(game: game, settings: settings, moves: moves, level: budgetLevel, random: &random)
    }

    public static func move(
        game: String, settings: JSONObject, moves: [String], level: BotLevel, random: inout BotRandom
    ) throws(BotError) -> String? {
        // The budget covers the whole call: replaying the moves is part of it.
        let clock = ContinuousClock()
        let start = clock.now
        func remaining() -> BotLevel { level.withBudget(max(level.budget - (clock.now - start), .milliseconds(1))) }
        return try BotError.from {
            switch game {
            case "reversi":
                let rules = Reversi()
                let p = try replay(rules, settings: settings, moves: moves)
                return ReversiEngine().bestMove(p, level: remaining(), random: &random).map { rules.notation($0, in: p) }
            case "hive":
                let rules = HiveRules()
                var line = try positions(rules, settings: settings, moves: moves)
                let p = line.removeLast()
                return HiveEngine().bestMove(p, history: line, level: remaining(), random: &random).map { rules.notation($0, in: p) }
            case "khet":
                let rules = Khet()
                var line = try positions(rules, settings: settings, moves: moves)
                let p = line.removeLast()
                return KhetEngine().bestMove(p, history: line, level: remaining(), random: &random).map { rules.notation($0, in: p) }
            default:
                throw BotError("no bot plays \(game)")
            }
        }
    }

    static func replay<R: GameRules>(_ rules: R, settings: JSONObject, moves: [String]) throws -> R.Position {
        try positions(rules, settings: settings, moves: moves).last!
    }

    /// Every position of the game, from the start to the one after the last move.
    static func positions<R: GameRules>(_ rules: R, settings: JSONObject, moves: [String]) throws -> [R.Position] {
        var line = [rules.initialPosition(try rules.settings(from: settings))]
        line.reserveCapacity(moves.count + 1)
        for m in moves { line.append(try rules.apply(notation: m, to: line[line.count - 1])) }
        return line
    }

    /// A uniformly random legal move (the baseline the levels are measured against).
    public static func randomMove(game: String, settings: JSONObject, moves: [String], random: inout BotRandom) throws(BotError) -> String? {
        guard let rules = GameCatalog.game(game) else { throw BotError("no game \(game)") }
        do {
            let state = try RulesTool.replay(rules, settings: settings, moves: moves).state
            return state.legalMoves().randomElement(using: &random)
        } catch {
            throw BotError("\(error)")
        }
    }
}
