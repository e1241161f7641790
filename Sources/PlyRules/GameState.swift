import PlyJSON

/// A position of some game with its type erased, for code that handles every game the
/// same way: the match engine, the command line. It speaks notation text only.
public struct GameState: Sendable, Hashable {
    private let box: any PositionBox

    public var gameID: String { box.gameID }

    /// The starting position for settings given as JSON (the game's own fields only).
    public init(game: any GameRules, settings: JSONObject) throws(SettingsError) {
        box = try Self.makeBox(game, settings)
    }

    private init(box: any PositionBox) { self.box = box }

    private static func makeBox<R: GameRules>(_ rules: R, _ json: JSONObject) throws(SettingsError) -> any PositionBox {
        let s = try rules.settings(from: json)
        return Box(rules: rules, position: rules.initialPosition(s))
    }

    public var sideToMove: Seat { box.sideToMove }
    public var outcome: Outcome { box.outcome }
    public var seatNames: [String] { box.seatNames }
    public func legalMoves() -> [String] { box.legalMoves() }
    public func score() -> JSONObject { box.score() }
    public func extras() -> JSONObject { box.extras() }
    public func describe() -> String { box.describe() }
    public func perft(depth: Int) -> Int { box.perft(depth: depth) }

    /// Plays a move given in notation. Returns the new state and the move as the game
    /// prints it (so `F5` is recorded as `f5`).
    public func applying(_ text: String) throws(RuleError) -> (state: GameState, notation: String) {
        let (b, n) = try box.applying(text)
        return (GameState(box: b), n)
    }

    public static func == (l: GameState, r: GameState) -> Bool { l.box.isEqual(r.box) }
    public func hash(into hasher: inout Hasher) { box.hash(into: &hasher) }
}

private protocol PositionBox: Sendable {
    var gameID: String { get }
    var sideToMove: Seat { get }
    var outcome: Outcome { get }
    var seatNames: [String] { get }
    func legalMoves() -> [String]
    func applying(_ text: String) throws(RuleError) -> (any PositionBox, String)
    func score() -> JSONObject
    func extras() -> JSONObject
    func describe() -> String
    func perft(depth: Int) -> Int
    func isEqual(_ other: any PositionBox) -> Bool
    func hash(into hasher: inout Hasher)
}

private struct Box<R: GameRules>: PositionBox {
    let rules: R
    let position: R.Position

    var gameID: String { rules.id }
    var sideToMove: Seat { rules.sideToMove(position) }
    var outcome: Outcome { rules.outcome(position) }
    var seatNames: [String] { rules.seatNames }
    func legalMoves() -> [String] { rules.legalMoves(position).map { rules.notation($0, in: position) } }
    func applying(_ text: String) throws(RuleError) -> (any PositionBox, String) {
        let move = try rules.parseMove(text, in: position)
        let next = try rules.apply(move, to: position)
        return (Box(rules: rules, position: next), rules.notation(move, in: position))
    }
    func score() -> JSONObject { rules.score(position) }
    func extras() -> JSONObject { rules.extras(position) }
    func describe() -> String { rules.describe(position) }
    func perft(depth: Int) -> Int { rules.perft(position, depth: depth) }
    func isEqual(_ other: any PositionBox) -> Bool {
        guard let o = other as? Box<R> else { return false }
        return o.position == position
    }
    func hash(into hasher: inout Hasher) {
        hasher.combine(rules.id)
        hasher.combine(position)
    }
}
