import PlyJSON

/// A seat at the table, by index into `GameRules.seatNames` (0 moves first).
public typealias Seat = Int

/// How a position stands.
public enum Outcome: Hashable, Sendable {
    case ongoing
    /// `reason` is a short word for people (`"discs"`, `"surrounded"`, `"pharaoh"`).
    case win(Seat, reason: String)
    case draw(reason: String)

    public var isOver: Bool { if case .ongoing = self { false } else { true } }
}

/// A move the rules refuse, or text that is not a move: `rule` is a stable word naming
/// the broken rule (`"occupied"`, `"no_flip"`, `"notation"`), `message` is for people.
public struct RuleError: Error, Hashable, Sendable, CustomStringConvertible {
    public var rule: String
    public var message: String
    public init(_ rule: String, _ message: String) {
        self.rule = rule
        self.message = message
    }
    public var description: String { "\(rule): \(message)" }
}

/// Settings that a game refuses: an unknown field or a bad value.
public struct SettingsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The rules of one game. Pure: no I/O, no actors, no clocks. Positions and moves are
/// values, so a match can keep its old position when a commit fails and perft can
/// explore without undo.
public protocol GameRules: Sendable {
    associatedtype Settings: Hashable & Sendable
    associatedtype Position: Hashable & Sendable
    associatedtype Move: Hashable & Sendable

    /// Stable id used on the wire and in the database (`"reversi"`).
    var id: String { get }
    /// Name for people (`"Reversi"`).
    var name: String { get }
    /// Seat names, first mover first (`["black", "white"]`).
    var seatNames: [String] { get }

    var defaultSettings: Settings { get }
    /// Reads the game's own settings fields; unknown fields and bad values throw.
    func settings(from json: JSONObject) throws(SettingsError) -> Settings
    func json(_ settings: Settings) -> JSONObject

    func initialPosition(_ settings: Settings) -> Position
    func sideToMove(_ position: Position) -> Seat
    func outcome(_ position: Position) -> Outcome
    /// Every legal move, each once. Empty exactly when the game is over.
    func legalMoves(_ position: Position) -> [Move]
    /// Applies a move after checking it; the error names the rule it breaks.
    func apply(_ move: Move, to position: Position) throws(RuleError) -> Position
    /// Applies a move known to be legal (one from `legalMoves`); the fast path of perft.
    func play(_ move: Move, on position: Position) -> Position

    /// Reads a move in the game's standard notation; some notations need the position.
    func parseMove(_ text: String, in position: Position) throws(RuleError) -> Move
    /// Prints a move in the game's standard notation.
    func notation(_ move: Move, in position: Position) -> String

    /// Game-specific score for clients and `ply replay` (Reversi: discs per side).
    func score(_ position: Position) -> JSONObject
    /// Game-specific extras for `ply replay` and `MATCH` (Khet: the last laser path).
    func extras(_ position: Position) -> JSONObject
    /// A text picture of the position for `MATCH` and people.
    func describe(_ position: Position) -> String

    /// Number of leaves of the legal-move tree; games may override with a faster count.
    func perft(_ position: Position, depth: Int) -> Int
}

extension GameRules {
    public func play(_ move: Move, on position: Position) -> Position {
        do { return try apply(move, to: position) } catch { preconditionFailure("play() given an illegal move: \(error)") }
    }

    public func extras(_ position: Position) -> JSONObject { [:] }

    public func perft(_ position: Position, depth: Int) -> Int {
        if depth == 0 { return 1 }
        let moves = legalMoves(position)
        if moves.isEmpty { return 1 }  // a finished position is a leaf
        if depth == 1 { return moves.count }
        var total = 0
        for m in moves { total += perft(play(m, on: position), depth: depth - 1) }
        return total
    }

    /// Parses and applies in one step.
    public func apply(notation text: String, to position: Position) throws(RuleError) -> Position {
        let move = try parseMove(text, in: position)
        return try apply(move, to: position)
    }

    public func seatName(_ seat: Seat) -> String { seatNames[seat] }
}
