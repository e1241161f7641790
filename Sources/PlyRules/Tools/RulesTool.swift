import PlyJSON

/// What `ply perft`, `ply legal` and `ply replay` do, for any game in the catalog. It
/// lives here, pure, so it is tested without starting a process; the commands only
/// read their arguments and print.
public enum RulesTool {
    /// Why a tool refused its input. `description` is the message for people.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case unknownGame(String, known: [String])
        case badSettings(String)
        /// `ply` counts from 1, so it names the move's place in the `--moves` list.
        case illegalMove(ply: Int, move: String, error: RuleError)
        case badDepth(Int)
        /// A game record that cannot be read or written; the message says why.
        case badRecord(String)

        public var description: String {
            switch self {
            case .unknownGame(let id, let known):
                "unknown game \"\(id)\"; the games are: \(known.joined(separator: ", "))"
            case .badSettings(let message):
                "bad settings: \(message)"
            case .illegalMove(let ply, let move, let error):
                "ply \(ply): \"\(move)\" breaks rule \(error.rule): \(error.message)"
            case .badDepth(let depth):
                "depth must be 0 or more, not \(depth)"
            case .badRecord(let message):
                "bad record: \(message)"
            }
        }
    }

    /// A game after a list of moves: the state, how many plies were played, and the moves
    /// as the game prints them.
    public struct Replay: Hashable, Sendable {
        public var state: GameState
        public var ply: Int
        public var moves: [String]
    }

    /// Splits `"f5; d6;;c3"` on `;`, trimming spaces and skipping empty entries.
    public static func moveList(_ text: String) -> [String] {
        text.split(separator: ";", omittingEmptySubsequences: false).compactMap { part in
            var move = part
            while move.first?.isWhitespace == true { move.removeFirst() }
            while move.last?.isWhitespace == true { move.removeLast() }
            return move.isEmpty ? nil : String(move)
        }
    }

    /// Reads `--settings`: absent or blank means no settings; otherwise a JSON object.
    public static func settings(_ text: String?) throws(Failure) -> JSONObject {
        guard let text, text.contains(where: { !$0.isWhitespace }) else { return [:] }
        do {
            return try JSONValue.parseObject(text)
        } catch {
            throw .badSettings("settings must be a JSON object: \(error)")
        }
    }

    /// The game with this id, or a failure that lists the games there are.
    public static func game(_ id: String, in catalog: [any GameRules] = GameCatalog.all) throws(Failure) -> any GameRules {
        guard let game = catalog.first(where: { $0.id == id }) else {
            throw .unknownGame(id, known: catalog.map(\.id))
        }
        return game
    }

    /// Plays `moves` from the game's start, stopping at the first one the rules refuse.
    public static func replay(_ game: any GameRules, settings: JSONObject, moves: [String]) throws(Failure) -> Replay {
        var state: GameState
        do {
            state = try GameState(game: game, settings: settings)
        } catch {
            throw .badSettings(error.message)
        }
        var played: [String] = []
        played.reserveCapacity(moves.count)
        for (i, text) in moves.enumerated() {
            do {
                let (next, notation) = try state.applying(text)
                state = next
                played.append(notation)
            } catch {
                throw .illegalMove(ply: i + 1, move: text, error: error)
            }
        }
        return Replay(state: state, ply: played.count, moves: played)
    }

    /// The command-line form: game id, `--settings` text and `--moves` text.
    public static func replay(game id: String, settings: String?, moves: String?) throws(Failure) -> Replay {
        let rules = try Self.game(id)
        let json = try Self.settings(settings)
        return try Self.replay(rules, settings: json, moves: moves.map(moveList) ?? [])
    }

    /// The line `ply replay` prints: status, ply, to_move, result and score, then the
    /// game's extras (Khet's laser path, say).
    public static func summary(_ replay: Replay) -> JSONObject {
        let state = replay.state
        let seats = state.seatNames
        var line: JSONObject = [:]
        let result: JSONValue
        switch state.outcome {
        case .ongoing:
            line["status"] = "active"
            line["ply"] = .int(replay.ply)
            line["to_move"] = .string(seats[state.sideToMove])
            result = .null
        case .win(let seat, let reason):
            line["status"] = "finished"
            line["ply"] = .int(replay.ply)
            line["to_move"] = .null
            result = ["winner": .string(seats[seat]), "reason": .string(reason)]
        case .draw(let reason):
            line["status"] = "finished"
            line["ply"] = .int(replay.ply)
            line["to_move"] = .null
            result = ["winner": .null, "reason": .string(reason)]
        }
        line["result"] = result
        line["score"] = .object(state.score())
        for field in state.extras() { line[field.key] = field.value }
        return line
    }

    /// `summary` as compact JSON text, the last line `ply replay` prints.
    public static func summaryLine(_ replay: Replay) -> String { summary(replay).description }

    /// `ply legal`: the legal moves after `moves`, in the game's notation.
    public static func legal(game id: String, settings: String?, moves: String?) throws(Failure) -> [String] {
        try replay(game: id, settings: settings, moves: moves).state.legalMoves()
    }

    /// `ply perft`: leaves of the move tree `depth` plies below the position after `moves`.
    public static func perft(game id: String, settings: String?, moves: String?, depth: Int) throws(Failure) -> Int {
        guard depth >= 0 else { throw .badDepth(depth) }
        return try replay(game: id, settings: settings, moves: moves).state.perft(depth: depth)
    }

    // MARK: Records

    /// `ply replay --format record`: the game after `moves` as a record in its game's format.
    public static func record(game id: String, settings: String?, moves: String?) throws(Failure) -> GameRecord {
        let rules = try Self.game(id)
        let json = try Self.settings(settings)
        let played = try replay(rules, settings: json, moves: moves.map(moveList) ?? [])
        do {
            return try GameRecords.write(RecordedGame(game: rules.id, settings: json, moves: played.moves))
        } catch {
            throw .badRecord(error.message)
        }
    }

    /// `ply replay --record FILE`: reads a record and replays its moves. The result is the
    /// board's when the game is over on the board, else the one the record states.
    public static func replay(record text: String) throws(Failure) -> (replay: Replay, result: RecordResult?, game: RecordedGame) {
        let game: RecordedGame
        do {
            game = try GameRecords.read(text)
        } catch {
            throw .badRecord(error.message)
        }
        let played = try replay(Self.game(game.game), settings: game.settings, moves: game.moves)
        return (played, GameRecords.result(of: game, played), game)
    }

    /// A record read back and written again: the same text for a record Ply wrote.
    public static func rewrite(_ game: RecordedGame) throws(Failure) -> GameRecord {
        do {
            return try GameRecords.write(game)
        } catch {
            throw .badRecord(error.message)
        }
    }

    /// `summary`, with a result stated by a record for a game the board shows unfinished
    /// (a resignation, a time-out): then the status is `finished` as well.
    public static func summary(_ replay: Replay, result: RecordResult?) -> JSONObject {
        var line = summary(replay)
        guard !replay.state.outcome.isOver, let result else { return line }
        line["status"] = "finished"
        line["to_move"] = .null
        line["result"] = [
            "winner": result.winner.map { .string(replay.state.seatNames[$0]) } ?? .null,
            "reason": .string(result.reason),
        ]
        return line
    }
}
