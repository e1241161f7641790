import PlyJSON

/// A finished or running game written in its game's exchange format: Hive as a Universal
/// Hive Protocol GameString (`uhp`), Reversi as a GGF record (`ggf`), Khet in Ply's own
/// tagged format (`ply-khet`, described in the README).
public struct GameRecord: Hashable, Sendable {
    /// `uhp`, `ggf` or `ply-khet`.
    public var format: String
    public var text: String

    public init(format: String, text: String) {
        self.format = format
        self.text = text
    }

    public var json: JSONObject { ["format": .string(format), "text": .string(text)] }
}

/// How a game ended, as a record keeps it.
public struct RecordResult: Hashable, Sendable {
    /// The winning seat, or nil for a draw.
    public var winner: Seat?
    /// `rules`, `resign`, `timeout`, `agreement`, ... as the match said, or `recorded` when
    /// the format keeps only the winner (a UHP GameString).
    public var reason: String

    public init(winner: Seat?, reason: String) {
        self.winner = winner
        self.reason = reason
    }
}

/// Everything a record holds: the game, its settings, the moves in the game's notation,
/// the players' names by seat and the result, if the game ended.
public struct RecordedGame: Hashable, Sendable {
    public var game: String
    public var settings: JSONObject
    public var moves: [String]
    /// Names by seat (first mover first); empty when the record names nobody.
    public var players: [String]
    /// RFC 3339 or the format's own date text; nil when unknown.
    public var date: String?
    /// The match's result; nil while the game runs. A result the board shows by itself
    /// (a surrounded queen, a hit pharaoh, no discs to place) is also read from the moves.
    public var result: RecordResult?

    public init(
        game: String, settings: JSONObject = [:], moves: [String], players: [String] = [], date: String? = nil,
        result: RecordResult? = nil
    ) {
        self.game = game
        self.settings = settings
        self.moves = moves
        self.players = players
        self.date = date
        self.result = result
    }
}

/// Writes and reads game records. Pure: the text in, the text out.
public enum GameRecords {
    /// The format each game is written in.
    public static func format(of game: String) -> String? {
        switch game {
        case "hive": "uhp"
        case "reversi": "ggf"
        case "khet": "ply-khet"
        default: nil
        }
    }

    /// Replays the moves (each checked) and writes the record.
    public static func write(_ game: RecordedGame) throws(RuleError) -> GameRecord {
        let replay: RulesTool.Replay
        do {
            replay = try RulesTool.replay(RulesTool.game(game.game), settings: game.settings, moves: game.moves)
        } catch {
            throw RuleError("record", "\(error)")
        }
        switch game.game {
        case "hive": return GameRecord(format: "uhp", text: HiveGameString.write(game, replay))
        case "reversi": return GameRecord(format: "ggf", text: GGF.write(game, replay))
        case "khet": return GameRecord(format: "ply-khet", text: KhetRecord.write(game, replay))
        default: throw RuleError("record", "no record format for \(game.game)")
        }
    }

    /// Reads a record of any of the three formats, telling them apart by their first
    /// characters: `(;` GGF, `[` Ply's tagged format, anything else a UHP GameString.
    public static func read(_ text: String) throws(RuleError) -> RecordedGame {
        let body = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        let game: RecordedGame
        if body.hasPrefix("(;") {
            game = try GGF.read(String(body))
        } else if body.hasPrefix("[") {
            game = try KhetRecord.read(String(body))
        } else {
            game = try HiveGameString.read(String(body))
        }
        // Every move must be legal: a record that does not replay is refused here.
        do {
            _ = try RulesTool.replay(RulesTool.game(game.game), settings: game.settings, moves: game.moves)
        } catch {
            throw RuleError("record", "\(error)")
        }
        return game
    }

    /// The game as `MATCH` describes it (`game`, `settings`, `players`, `moves`, `result`,
    /// `created_at`), ready to write. Settings fields that are not the game's own
    /// (`side`, `turn_seconds`, ...) are left out.
    public static func recordedGame(match: JSONObject) throws(RuleError) -> RecordedGame {
        guard let id = match["game"]?.stringValue, let rules = GameCatalog.game(id) else {
            throw RuleError("record", "the match names no known game")
        }
        let own = Set(ownSettingKeys(rules))
        var settings: JSONObject = [:]
        for f in match["settings"]?.objectValue ?? [:] where own.contains(f.key) { settings[f.key] = f.value }
        let moves = (match["moves"]?.arrayValue ?? []).compactMap(\.stringValue)
        var names = Array(repeating: "", count: rules.seatNames.count)
        var seatOf: [String: Seat] = [:]
        for p in match["players"]?.arrayValue ?? [] {
            guard let o = p.objectValue, let side = o["side"]?.stringValue,
                let seat = rules.seatNames.firstIndex(of: side)
            else { continue }
            names[seat] = o["name"]?.stringValue ?? o["player"]?.stringValue ?? ""
            if let player = o["player"]?.stringValue { seatOf[player] = seat }
        }
        var result: RecordResult?
        if let r = match["result"]?.objectValue, let reason = r["reason"]?.stringValue {
            result = RecordResult(winner: r["winner"]?.stringValue.flatMap { seatOf[$0] }, reason: reason)
        }
        return RecordedGame(
            game: id, settings: settings, moves: moves, players: names.allSatisfy(\.isEmpty) ? [] : names,
            date: match["created_at"]?.stringValue, result: result)
    }

    /// The result a replay of the record shows: the board's own if the game is over on
    /// the board, else the one the record states.
    public static func result(of game: RecordedGame, _ replay: RulesTool.Replay) -> RecordResult? {
        switch replay.state.outcome {
        case .ongoing: game.result
        case .win(let seat, let reason): RecordResult(winner: seat, reason: reason)
        case .draw(let reason): RecordResult(winner: nil, reason: reason)
        }
    }
}

/// The fields of a game's own settings, read off its defaults.
private func ownSettingKeys<R: GameRules>(_ rules: R) -> [String] { rules.json(rules.defaultSettings).keys }

// MARK: Hive: UHP GameString

/// `GameType;BoardState;Turn;move;move;...`. The BoardState is the board's, except that a
/// game ended off the board (resignation, time-out, agreement) is written as its winner's
/// state (`WhiteWins`, `BlackWins`, `Draw`) over a board still in progress.
enum HiveGameString {
    static func write(_ game: RecordedGame, _ replay: RulesTool.Replay) -> String {
        let expansions = HiveExpansions(letters: game.settings["expansions"]?.stringValue ?? "") ?? []
        let state: String
        switch GameRecords.result(of: game, replay) {
        case nil: state = replay.ply == 0 ? "NotStarted" : "InProgress"
        case .some(let r):
            switch r.winner {
            case 0: state = "WhiteWins"
            case 1: state = "BlackWins"
            default: state = "Draw"
            }
        }
        let turn = (replay.state.sideToMove == 0 ? "White" : "Black") + "[\(1 + replay.ply / 2)]"
        return ([expansions.gameType, state, turn] + replay.moves).joined(separator: ";")
    }

    static func read(_ text: String) throws(RuleError) -> RecordedGame {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let fields = line.split(separator: ";", omittingEmptySubsequences: false).map { trim($0) }
        guard fields.count >= 3, let expansions = HiveExpansions(gameType: fields[0]) else {
            throw RuleError("record", "expected a GameString GameType;BoardState;Turn;moves..., not \"\(line)\"")
        }
        let moves = fields.dropFirst(3).filter { !$0.isEmpty }
        var result: RecordResult?
        switch fields[1] {
        case "WhiteWins": result = RecordResult(winner: 0, reason: "recorded")
        case "BlackWins": result = RecordResult(winner: 1, reason: "recorded")
        case "Draw": result = RecordResult(winner: nil, reason: "recorded")
        case "NotStarted", "InProgress": break
        default: throw RuleError("record", "unknown BoardState \"\(fields[1])\"")
        }
        return RecordedGame(
            game: "hive", settings: ["expansions": .string(expansions.letters)], moves: Array(moves), result: result)
    }
}

// MARK: Reversi: GGF

/// The Generic Game Format of GGS, as NBoard engines such as Edax read it:
/// `(;GM[Othello]PC[Ply]DT[..]PB[..]PW[..]RE[..]TY[8]BO[8 <rows> *]B[F5]W[D6]...;)`.
/// `RE` is black's discs minus white's (`+4.000`), suffixed `:r` for a resignation or
/// forfeit, `:t` for a time-out and `:s` for an agreed result; a resignation is written
/// as the whole board (`+64.000:r`) since the discs do not tell the winner; `?` while
/// the game runs.
enum GGF {
    static let startBoard = "8 -------- -------- -------- ---O*--- ---*O--- -------- -------- -------- *"

    static func write(_ game: RecordedGame, _ replay: RulesTool.Replay) -> String {
        var out = "(;GM[Othello]PC[Ply]"
        if let date = game.date { out += "DT[\(escape(date))]" }
        if game.players.count == 2 { out += "PB[\(escape(game.players[0]))]PW[\(escape(game.players[1]))]" }
        out += "RE[\(resultText(game, replay))]TY[8]BO[\(startBoard)]"
        var state = try? GameState(game: Reversi(), settings: [:])
        for move in replay.moves {
            let colour = state?.sideToMove == 1 ? "W" : "B"
            out += "\(colour)[\(move == "pass" ? "PA" : move.uppercased())]"
            state = try? state?.applying(move).state
        }
        return out + ";)"
    }

    private static func resultText(_ game: RecordedGame, _ replay: RulesTool.Replay) -> String {
        let score = replay.state.score()
        let diff = (score["black"]?.intValue ?? 0) - (score["white"]?.intValue ?? 0)
        func disc(_ n: Int) -> String { (n > 0 ? "+" : n < 0 ? "-" : "") + "\(abs(n)).000" }
        switch replay.state.outcome {
        case .win, .draw: return disc(diff)
        case .ongoing: break
        }
        guard let r = game.result else { return "?" }
        let suffix: String
        switch r.reason {
        case "timeout": suffix = ":t"
        case "agreement", "draw": suffix = ":s"
        default: suffix = ":r"
        }
        switch r.winner {
        case 0: return "+64.000" + suffix
        case 1: return "-64.000" + suffix
        default: return "0.000" + suffix
        }
    }

    static func read(_ text: String) throws(RuleError) -> RecordedGame {
        var props: [(String, String)] = []
        var chars = Substring(text).drop { $0 != ";" }.dropFirst()
        while let open = chars.firstIndex(of: "[") {
            let key = String(chars[..<open].filter { $0.isLetter })
            var value = ""
            var i = chars.index(after: open)
            while i < chars.endIndex && chars[i] != "]" {
                if chars[i] == "\\", chars.index(after: i) < chars.endIndex { i = chars.index(after: i) }
                value.append(chars[i])
                i = chars.index(after: i)
            }
            guard i < chars.endIndex else { throw RuleError("record", "a GGF property \(key) is not closed") }
            props.append((key, value))
            chars = chars[chars.index(after: i)...]
        }
        func prop(_ k: String) -> String? { props.first { $0.0 == k }?.1 }
        guard prop("GM")?.lowercased() == "othello" else { throw RuleError("record", "not a GGF Othello record (GM[Othello])") }
        if let ty = prop("TY"), ty != "8" { throw RuleError("record", "only 8 x 8 games are Reversi here, not TY[\(ty)]") }
        if let bo = prop("BO"), bo.split(separator: " ").joined(separator: " ") != startBoard {
            throw RuleError("record", "only games from the standard start are Reversi here")
        }
        var moves: [String] = []
        for (k, v) in props where k == "B" || k == "W" {
            let square = v.prefix { $0 != "/" }.lowercased()
            moves.append(square == "pa" ? "pass" : square)
        }
        var players: [String] = []
        if let b = prop("PB"), let w = prop("PW") { players = [b, w] }
        var result: RecordResult?
        if let re = prop("RE"), re != "?" {
            let parts = re.split(separator: ":", maxSplits: 1)
            let value = Double(parts.first.map(String.init) ?? "") ?? 0
            let reason: String
            switch parts.count > 1 ? String(parts[1]) : "" {
            case "t": reason = "timeout"
            case "s": reason = "agreement"
            case "r": reason = "resign"
            default: reason = "discs"
            }
            result = RecordResult(winner: value > 0 ? 0 : value < 0 ? 1 : nil, reason: reason)
        }
        return RecordedGame(game: "reversi", moves: moves, players: players, date: prop("DT"), result: result)
    }

    private static func escape(_ s: String) -> String {
        s.replacingAll("\\", "\\\\").replacingAll("]", "\\]")
    }
}

// MARK: Khet: Ply's tagged record

/// Tags in square brackets, a blank line, then one ply a line, numbered from 1:
/// ```
/// [Game "khet"]
/// [Layout "classic"]
/// [Silver "Ann"]
/// [Red "Bo"]
/// [Date "2026-05-01T10:00:00Z"]
/// [Result "silver"]
/// [Reason "pharaoh"]
///
/// 1. j1-j2
/// 2. cw a8
/// ```
/// `Result` is `silver`, `red`, `draw` or `*` (still playing); `Reason` is the match's
/// (`pharaoh`, `resign`, `timeout`, ...).
enum KhetRecord {
    static func write(_ game: RecordedGame, _ replay: RulesTool.Replay) -> String {
        let layout = game.settings["layout"]?.stringValue ?? Khet.Layout.classic.rawValue
        var tags: [(String, String)] = [("Game", "khet"), ("Layout", layout)]
        if game.players.count == 2 { tags += [("Silver", game.players[0]), ("Red", game.players[1])] }
        if let date = game.date { tags.append(("Date", date)) }
        if let r = GameRecords.result(of: game, replay) {
            tags.append(("Result", r.winner.map { $0 == 0 ? "silver" : "red" } ?? "draw"))
            tags.append(("Reason", r.reason))
        } else {
            tags.append(("Result", "*"))
        }
        var out = tags.map { "[\($0.0) \"\($0.1.replacingAll("\"", "'"))\"]\n" }.joined()
        out += "\n"
        for (i, move) in replay.moves.enumerated() { out += "\(i + 1). \(move)\n" }
        return out
    }

    static func read(_ text: String) throws(RuleError) -> RecordedGame {
        var tags: [String: String] = [:]
        var moves: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = trim(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                let inner = line.dropFirst().dropLast()
                let parts = inner.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { throw RuleError("record", "bad tag line \"\(line)\"") }
                tags[String(parts[0])] = String(parts[1].filter { $0 != "\"" })
            } else if let dot = line.firstIndex(of: "."), dot > line.startIndex, line[..<dot].allSatisfy(\.isNumber) {
                moves.append(trim(line[line.index(after: dot)...]))
            } else {
                throw RuleError("record", "expected a tag or a numbered ply, not \"\(line)\"")
            }
        }
        guard tags["Game"] == "khet" else { throw RuleError("record", "not a Khet record ([Game \"khet\"])") }
        var result: RecordResult?
        switch tags["Result"] {
        case "silver": result = RecordResult(winner: 0, reason: tags["Reason"] ?? "recorded")
        case "red": result = RecordResult(winner: 1, reason: tags["Reason"] ?? "recorded")
        case "draw": result = RecordResult(winner: nil, reason: tags["Reason"] ?? "recorded")
        default: break
        }
        var players: [String] = []
        if let s = tags["Silver"], let r = tags["Red"] { players = [s, r] }
        return RecordedGame(
            game: "khet", settings: ["layout": .string(tags["Layout"] ?? Khet.Layout.classic.rawValue)], moves: moves,
            players: players, date: tags["Date"], result: result)
    }
}

private func trim<S: StringProtocol>(_ s: S) -> String {
    let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{FEFF}" }
    guard let start = s.firstIndex(where: { !isSpace($0) }), let end = s.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(s[start...end])
}

extension String {
    /// Replaces every occurrence of `target` (standard library only: no Foundation here).
    fileprivate func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
