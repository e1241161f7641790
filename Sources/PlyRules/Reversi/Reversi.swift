import PlyJSON

/// Reversi (Othello rules): 8x8, black first, a disc must turn over at least one
/// opponent disc, a side with no such square passes, and the game ends when neither side
/// can place a disc. The side with more discs wins; empty squares count for nobody.
///
/// Rules see positions, not players: whose turn it is belongs to the position, and
/// checking that the right player sent the move is the match layer's job. A disc that
/// would only turn over discs for the other colour is refused here as `no_flip`.
public struct Reversi: GameRules {
    /// Reversi has no settings of its own; any field is refused.
    public struct Settings: Hashable, Sendable {
        public init() {}
    }
    public typealias Position = ReversiPosition
    public typealias Move = ReversiMove

    public init() {}

    public var id: String { "reversi" }
    public var name: String { "Reversi" }
    public var seatNames: [String] { ["black", "white"] }

    public var defaultSettings: Settings { Settings() }

    public func settings(from json: JSONObject) throws(SettingsError) -> Settings {
        _ = try SettingsReader(json, game: id, allowed: [])
        return Settings()
    }

    public func json(_ settings: Settings) -> JSONObject { [:] }

    public func initialPosition(_ settings: Settings) -> ReversiPosition { .start }

    public func sideToMove(_ position: ReversiPosition) -> Seat { position.toMove.rawValue }

    public func outcome(_ position: ReversiPosition) -> Outcome {
        let p = position.mover, o = position.opponent
        if ReversiBitboard.moves(mover: p, opponent: o) != 0 || ReversiBitboard.moves(mover: o, opponent: p) != 0 {
            return .ongoing
        }
        let black = position.discs(.black), white = position.discs(.white)
        if black == white { return .draw(reason: "discs") }
        return .win((black > white ? ReversiColour.black : .white).rawValue, reason: "discs")
    }

    /// Squares in board order (a1, b1, ... h8), or a lone pass when no square is legal
    /// but the opponent can still play.
    public func legalMoves(_ position: ReversiPosition) -> [ReversiMove] {
        let p = position.mover, o = position.opponent
        var m = ReversiBitboard.moves(mover: p, opponent: o)
        if m == 0 {
            return ReversiBitboard.moves(mover: o, opponent: p) != 0 ? [.pass] : []
        }
        var moves: [ReversiMove] = []
        moves.reserveCapacity(m.nonzeroBitCount)
        while m != 0 {
            moves.append(.place(ReversiSquare(index: m.trailingZeroBitCount)!))
            m &= m &- 1
        }
        return moves
    }

    public func apply(_ move: ReversiMove, to position: ReversiPosition) throws(RuleError) -> ReversiPosition {
        let p = position.mover, o = position.opponent
        let mine = ReversiBitboard.moves(mover: p, opponent: o)
        if mine == 0 && ReversiBitboard.moves(mover: o, opponent: p) == 0 {
            throw RuleError("game_over", "the game is over: neither side can place a disc")
        }
        let side = position.toMove
        switch move {
        case .pass:
            guard mine == 0 else {
                throw RuleError("pass_not_allowed", "\(side) has a move, so may not pass")
            }
            return position.passing()
        case .place(let square):
            if let owner = position[square] {
                throw RuleError("occupied", "\(square) already holds a \(owner) disc")
            }
            guard mine != 0 else {
                throw RuleError("must_pass", "\(side) has no square that turns a disc over and must pass")
            }
            let flips = ReversiBitboard.flips(at: square.bit, mover: p, opponent: o)
            guard flips != 0 else {
                throw RuleError("no_flip", "a \(side) disc on \(square) turns no \(side.opponent) disc over")
            }
            return position.placing(square.bit, flipping: flips)
        }
    }

    public func play(_ move: ReversiMove, on position: ReversiPosition) -> ReversiPosition {
        switch move {
        case .pass: return position.passing()
        case .place(let square):
            let flips = ReversiBitboard.flips(at: square.bit, mover: position.mover, opponent: position.opponent)
            return position.placing(square.bit, flipping: flips)
        }
    }

    /// `f5`, `F5` or `pass` (any case).
    public func parseMove(_ text: String, in position: ReversiPosition) throws(RuleError) -> ReversiMove {
        if let square = ReversiSquare(text) { return .place(square) }
        if text.lowercased() == "pass" { return .pass }
        throw RuleError("notation", "\"\(text)\" is not a square a1..h8 or pass")
    }

    public func notation(_ move: ReversiMove, in position: ReversiPosition) -> String {
        switch move {
        case .place(let square): square.name
        case .pass: "pass"
        }
    }

    public func score(_ position: ReversiPosition) -> JSONObject {
        ["black": .int(position.discs(.black)), "white": .int(position.discs(.white))]
    }

    /// Eight lines of `.`, `x` (black) and `o` (white), rank 1 first, then whose turn it
    /// is or that the game is over.
    public func describe(_ position: ReversiPosition) -> String {
        var out = ""
        out.reserveCapacity(90)
        for square in ReversiSquare.all {
            switch position[square] {
            case .black: out += "x"
            case .white: out += "o"
            case nil: out += "."
            }
            if square.file == 7 { out += "\n" }
        }
        out += outcome(position).isOver ? "game over" : "\(position.toMove) to move"
        return out
    }

    /// Bitboard count with the same conventions as the default: bulk counting at the
    /// last ply, a forced pass is a ply, a finished game is one leaf.
    public func perft(_ position: ReversiPosition, depth: Int) -> Int {
        ReversiBitboard.perft(mover: position.mover, opponent: position.opponent, depth: depth)
    }
}
