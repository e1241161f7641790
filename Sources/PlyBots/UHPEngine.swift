import PlyRules

/// A Universal Hive Protocol engine as Mzinga documents it, as a pure state machine:
/// each input line gives the output lines, the last always `ok`. `ply uhp` only moves
/// lines between it and standard input and output.
///
/// Commands: `info`, `newgame [GameType|GameString]`, `play <move>`, `pass`,
/// `validmoves`, `bestmove time hh:mm:ss|depth N`, `undo [N]`, `options`. Errors are
/// `err <message>`; a move the rules refuse is `invalidmove <message>`.
public struct UHPEngine: Sendable {
    public static let version = "0.1.0"
    let rules = HiveRules()
    /// The game's positions, the start first: undo pops them.
    var positions: [HivePosition] = []
    /// The moves played, as the rules print them.
    var moves: [String] = []
    var expansions: HiveExpansions = []
    var random: BotRandom
    /// The level whose evaluation `bestmove` uses; its depth and time come from the command.
    let level: Int

    public init(seed: UInt64 = 1, level: Int = 5) {
        random = BotRandom(seed: seed)
        self.level = level
    }

    /// What an engine prints when it starts: its `info`.
    public static var greeting: [String] { info + ["ok"] }

    static var info: [String] { ["id Ply v\(version)", "Mosquito;Ladybug;Pillbug"] }

    public mutating func handle(_ line: String) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let verb = words.first?.lowercased() else { return [] }
        let rest = words.dropFirst().joined(separator: " ")
        return body(verb, rest, words.count - 1) + ["ok"]
    }

    private mutating func body(_ verb: String, _ rest: String, _ argc: Int) -> [String] {
        switch verb {
        case "info":
            return Self.info
        case "newgame":
            return newGame(rest)
        case "play":
            guard !positions.isEmpty else { return ["err No game in progress. Try 'newgame' to start a new game."] }
            guard !rest.isEmpty else { return ["err play needs a move, such as play wS1"] }
            return play(rest)
        case "pass":
            guard !positions.isEmpty else { return ["err No game in progress. Try 'newgame' to start a new game."] }
            return play("pass")
        case "validmoves":
            guard let p = positions.last else { return ["err No game in progress. Try 'newgame' to start a new game."] }
            let list = rules.legalMoves(p).map { rules.notation($0, in: p) }
            return [list.joined(separator: ";")]
        case "bestmove":
            return bestMove(rest)
        case "undo":
            guard !positions.isEmpty else { return ["err No game in progress. Try 'newgame' to start a new game."] }
            let n = rest.isEmpty ? 1 : Int(rest) ?? -1
            guard n >= 0 else { return ["err undo takes a number of moves, not \"\(rest)\""] }
            guard n <= moves.count else { return ["err Unable to undo \(n) moves: only \(moves.count) were played."] }
            positions.removeLast(n)
            moves.removeLast(n)
            return [gameString]
        case "options":
            if rest.isEmpty { return [] }
            return ["err Ply's engine has no options."]
        default:
            return ["err Invalid command. The commands are info, newgame, play, pass, validmoves, bestmove, undo, options."]
        }
    }

    /// The current game as a GameString.
    public var gameString: String {
        guard let p = positions.last else { return "" }
        let state: String
        switch rules.outcome(p) {
        case .ongoing: state = moves.isEmpty ? "NotStarted" : "InProgress"
        case .draw: state = "Draw"
        case .win(let seat, _): state = seat == 0 ? "WhiteWins" : "BlackWins"
        }
        let turn = (p.colourToMove == 0 ? "White" : "Black") + "[\(1 + p.plyCount / 2)]"
        return ([expansions.gameType, state, turn] + moves).joined(separator: ";")
    }

    private mutating func newGame(_ text: String) -> [String] {
        let fields = text.isEmpty ? ["Base"] : text.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard let e = HiveExpansions(gameType: fields[0]) else {
            return ["err Unknown game type \"\(fields[0])\": Base, or Base+ with any of M, L, P in that order."]
        }
        guard fields.count == 1 || fields.count >= 3 else {
            return ["err Expected a GameType or a GameString GameType;GameState;Turn;moves..."]
        }
        var p = rules.initialPosition(HiveSettings(expansions: e))
        var played: [HivePosition] = [p]
        var list: [String] = []
        for text in fields.dropFirst(3) where !text.isEmpty {
            do {
                let move = try rules.parseMove(text, in: p)
                let next = try rules.apply(move, to: p)
                list.append(rules.notation(move, in: p))
                p = next
                played.append(p)
            } catch {
                return ["invalidmove \(text): \(error.message)"]
            }
        }
        expansions = e
        positions = played
        moves = list
        return [gameString]
    }

    private mutating func play(_ text: String) -> [String] {
        let p = positions[positions.count - 1]
        do {
            let move = try rules.parseMove(text, in: p)
            let next = try rules.apply(move, to: p)
            moves.append(rules.notation(move, in: p))
            positions.append(next)
            return [gameString]
        } catch {
            return ["invalidmove \(error.message)"]
        }
    }

    private mutating func bestMove(_ rest: String) -> [String] {
        guard let p = positions.last else { return ["err No game in progress. Try 'newgame' to start a new game."] }
        if rules.outcome(p).isOver { return ["err The game is over."] }
        let parts = rest.split(separator: " ")
        var level = BotLevel.level(level, game: "hive")
        switch (parts.first?.lowercased(), parts.count) {
        case ("time", 2):
            guard let t = Self.duration(parts[1]) else { return ["err bestmove time takes hh:mm:ss, not \(parts[1])"] }
            level.budget = t
            level.depth = 64
        case ("depth", 2):
            guard let d = Int(parts[1]), d >= 1 else { return ["err bestmove depth takes a number of plies of 1 or more"] }
            level.depth = d
            level.budget = .seconds(300)
        case (nil, _):
            break
        default:
            return ["err Expected bestmove, bestmove time hh:mm:ss or bestmove depth N"]
        }
        guard let move = HiveEngine().bestMove(p, history: positions.dropLast(), level: level, random: &random) else { return ["err The game is over."] }
        return [rules.notation(move, in: p)]
    }

    /// `hh:mm:ss`, `mm:ss` or seconds, each part possibly with a fraction.
    static func duration(_ text: Substring) -> Duration? {
        var seconds = 0.0
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let v = Double(part), v >= 0 else { return nil }
            seconds = seconds * 60 + v
        }
        guard seconds > 0 else { return nil }
        return .milliseconds(Int(seconds * 1000))
    }
}

extension Substring {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{FEFF}" }
        guard let s = firstIndex(where: { !isSpace($0) }), let e = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[s...e])
    }
}
