import PlyJSON
import PlyRules

/// Who plays one side of a ladder game: an engine at a level, or the random mover that
/// level 1 is measured against.
public enum Contender: Hashable, Sendable, CustomStringConvertible {
    case level(BotLevel)
    case random

    public var description: String {
        switch self {
        case .level(let l): "level \(l.number)"
        case .random: "random"
        }
    }
}

/// Bot games played in-process, without a server: the engines' own moves through the
/// rules, for the ladder figures (each level against the one below it).
public enum BotLadder {
    /// How one game ended, from the candidate's side.
    public enum Result: String, Hashable, Sendable {
        case win, draw, loss
    }

    /// One finished game: the result for the candidate, the plies played, the longest
    /// time any one move of the candidate took, and how many of its moves took longer than
    /// its level's budget.
    public struct Game: Hashable, Sendable {
        public var result: Result
        public var plies: Int
        public var longestMove: Duration
        public var overBudget: Int

        public init(result: Result, plies: Int, longestMove: Duration, overBudget: Int = 0) {
            self.result = result
            self.plies = plies
            self.longestMove = longestMove
            self.overBudget = overBudget
        }
    }

    /// A series' tally.
    public struct Tally: Hashable, Sendable {
        public var wins = 0
        public var draws = 0
        public var losses = 0
        public var plies = 0
        public var longestMove: Duration = .zero
        public var overBudget = 0
        public init() {}

        public var games: Int { wins + draws + losses }
        /// Wins over games played (0 when none).
        public var winRate: Double { games == 0 ? 0 : Double(wins) / Double(games) }

        public mutating func add(_ game: Game) {
            switch game.result {
            case .win: wins += 1
            case .draw: draws += 1
            case .loss: losses += 1
            }
            plies += game.plies
            longestMove = max(longestMove, game.longestMove)
            overBudget += game.overBudget
        }
    }

    /// Plays one game from the start position, or from the position after `opening` (moves
    /// neither side chose). `candidateSeat` is the candidate's seat (0 moves first). A game
    /// still running after `maxPlies` counts as a draw, so a series of two shufflers ends.
    public static func play(
        game: String, settings: JSONObject = [:], candidate: Contender, opponent: Contender, candidateSeat: Seat,
        opening: [String] = [], maxPlies: Int = 400, random: inout BotRandom
    ) throws(BotError) -> Game {
        guard let rules = GameCatalog.game(game) else { throw BotError("no game \(game)") }
        var state: GameState
        var moves: [String] = []
        do {
            state = try GameState(game: rules, settings: settings)
            for m in opening {
                let next = try state.applying(m)
                state = next.state
                moves.append(next.notation)
            }
        } catch {
            throw BotError("\(error)")
        }
        var longest: Duration = .zero
        var overBudget = 0
        let clock = ContinuousClock()
        while !state.outcome.isOver, moves.count < maxPlies {
            let mover = state.sideToMove
            let contender = mover == candidateSeat ? candidate : opponent
            let start = clock.now
            let chosen: String?
            switch contender {
            case .level(let level):
                chosen = try Bots.move(game: game, settings: settings, moves: moves, level: level, random: &random)
            case .random:
                chosen = state.legalMoves().randomElement(using: &random)
            }
            if mover == candidateSeat {
                let took = clock.now - start
                longest = max(longest, took)
                if case .level(let level) = contender, took > level.budget { overBudget += 1 }
            }
            guard let move = chosen else { break }
            do {
                let next = try state.applying(move)
                state = next.state
                moves.append(next.notation)
            } catch {
                throw BotError("\(contender) played \(move), which the rules refuse: \(error)")
            }
        }
        let result: Result
        switch state.outcome {
        case .win(let seat, _): result = seat == candidateSeat ? .win : .loss
        case .draw, .ongoing: result = .draw
        }
        return Game(result: result, plies: moves.count, longestMove: longest, overBudget: overBudget)
    }

    /// Up to `games` games with the candidate on alternate seats (first mover in the first
    /// game), stopping early once `shouldStop` says so after a game. Each pair of games
    /// starts from its own `openingPlies` random moves, played once from each side: the
    /// engines choose alike in alike positions, so without them a series would be the same
    /// two games over and over.
    public static func series(
        game: String, settings: JSONObject = [:], candidate: Contender, opponent: Contender, games: Int,
        seed: UInt64, openingPlies: Int = 0, maxPlies: Int = 400, shouldStop: (Tally) -> Bool = { _ in false }
    ) throws(BotError) -> Tally {
        var random = BotRandom(seed: seed)
        var tally = Tally()
        var opening: [String] = []
        for i in 0..<games {
            if i % 2 == 0 { opening = try randomOpening(game: game, settings: settings, plies: openingPlies, random: &random) }
            tally.add(
                try play(
                    game: game, settings: settings, candidate: candidate, opponent: opponent, candidateSeat: i % 2,
                    opening: opening, maxPlies: maxPlies, random: &random))
            if shouldStop(tally) { break }
        }
        return tally
    }

    /// `plies` random legal moves that leave the game running (fewer if no such line is
    /// found in a few tries).
    public static func randomOpening(game: String, settings: JSONObject, plies: Int, random: inout BotRandom) throws(BotError) -> [String] {
        guard plies > 0, let rules = GameCatalog.game(game) else { return [] }
        do {
            for _ in 0..<16 {
                var state = try GameState(game: rules, settings: settings)
                var moves: [String] = []
                while moves.count < plies, !state.outcome.isOver, let m = state.legalMoves().randomElement(using: &random) {
                    let next = try state.applying(m)
                    state = next.state
                    moves.append(next.notation)
                }
                if !state.outcome.isOver { return moves }
            }
        } catch {
            throw BotError("\(error)")
        }
        return []
    }
}
