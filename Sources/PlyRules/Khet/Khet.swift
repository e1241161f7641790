import PlyJSON

/// Khet 2.0: a laser game on a 10 x 8 board. Silver moves first; after every move the
/// mover's sphinx fires, and the side whose pharaoh is hit loses.
public struct Khet: GameRules {
    public struct Settings: Hashable, Sendable {
        public var layout: Layout
        public init(layout: Layout = .classic) { self.layout = layout }
    }

    /// `e6-d6` moves a piece one square, or swaps a scarab with the piece there;
    /// `cw g5` / `ccw g5` turns a piece a quarter; `draw` claims a threefold repetition.
    public enum Move: Hashable, Sendable {
        case step(from: Square, to: Square)
        case turn(Square, clockwise: Bool)
        case claimDraw
    }

    public init() {}

    public var id: String { "khet" }
    public var name: String { "Khet 2.0" }
    public var seatNames: [String] { ["silver", "red"] }

    public var defaultSettings: Settings { Settings() }

    public func settings(from json: JSONObject) throws(SettingsError) -> Settings {
        let reader = try SettingsReader(json, game: id, allowed: ["layout"])
        let name = try reader.choice("layout", of: Layout.allCases.map(\.rawValue), default: Layout.classic.rawValue)
        return Settings(layout: Layout(rawValue: name)!)
    }

    public func json(_ settings: Settings) -> JSONObject { ["layout": .string(settings.layout.rawValue)] }

    public func initialPosition(_ settings: Settings) -> Position {
        Position(pieces: settings.layout.pieces, sideToMove: 0)
    }

    public func sideToMove(_ position: Position) -> Seat { position.sideToMove }
    public func outcome(_ position: Position) -> Outcome { position.result }

    // MARK: Moves

    /// The eight steps a piece may take, clockwise from north.
    private static let steps: [(Int, Int)] = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]

    public func legalMoves(_ position: Position) -> [Move] {
        guard !position.result.isOver else { return [] }
        var moves: [Move] = []
        moves.reserveCapacity(96)
        let me = position.sideToMove
        for i in 0..<Square.count {
            let code = position.cells[i]
            guard code != 0 else { continue }
            let piece = Piece(code: code)
            guard piece.owner == me else { continue }
            let from = Square(index: i)
            switch piece.kind {
            case .sphinx:
                for cw in [true, false] where from.neighbour(piece.turned(clockwise: cw).direction!) != nil {
                    moves.append(.turn(from, clockwise: cw))
                }
                continue
            case .pharaoh:
                break
            case .pyramid, .anubis, .scarab:
                moves.append(.turn(from, clockwise: true))
                moves.append(.turn(from, clockwise: false))
            }
            for (dx, dy) in Self.steps {
                guard let to = from.neighbour(dx, dy), Self.mayEnter(me, to) else { continue }
                let there = position.cells[to.index]
                if there == 0 || (piece.kind == .scarab && Self.canSwap(with: Piece(code: there), from: from)) {
                    moves.append(.step(from: from, to: to))
                }
            }
        }
        if position.repetitions >= 3 { moves.append(.claimDraw) }
        return moves
    }

    /// Whether a scarab on `from` may trade places with `other`: only a pyramid or an
    /// anubis, and only if that piece may stand on `from`.
    private static func canSwap(with other: Piece, from: Square) -> Bool {
        (other.kind == .pyramid || other.kind == .anubis) && mayEnter(other.owner, from)
    }

    public func apply(_ move: Move, to position: Position) throws(RuleError) -> Position {
        try check(move, in: position)
        return play(move, on: position)
    }

    /// Throws the rule a move breaks, if any.
    private func check(_ move: Move, in position: Position) throws(RuleError) {
        guard !position.result.isOver else { throw RuleError("game_over", "the game is over") }
        let me = position.sideToMove
        switch move {
        case .claimDraw:
            guard position.repetitions >= 3 else {
                throw RuleError("no_repetition", "a draw needs this position to stand for the third time")
            }
        case .turn(let at, let cw):
            let piece = try ownPiece(at, in: position)
            switch piece.kind {
            case .pharaoh: throw RuleError("pharaoh_cannot_rotate", "the pharaoh does not turn")
            case .sphinx:
                guard at.neighbour(piece.turned(clockwise: cw).direction!) != nil else {
                    throw RuleError("sphinx_facing", "the sphinx on \(at) may only face onto the board")
                }
            case .pyramid, .anubis, .scarab: break
            }
        case .step(let from, let to):
            let piece = try ownPiece(from, in: position)
            guard piece.kind != .sphinx else { throw RuleError("sphinx_cannot_move", "the sphinx stays on \(from)") }
            guard from != to, abs(from.file - to.file) <= 1, abs(from.rank - to.rank) <= 1 else {
                throw RuleError("notation", "a piece moves one square: \(from) to \(to) is not a step")
            }
            guard Self.mayEnter(me, to) else {
                throw RuleError("restricted_square", "\(seatName(me)) may not enter \(to)")
            }
            guard let other = position[to] else { return }
            guard piece.kind == .scarab else { throw RuleError("occupied", "\(to) is occupied") }
            guard other.kind == .pyramid || other.kind == .anubis else {
                throw RuleError("bad_swap", "a scarab swaps only with a pyramid or an anubis")
            }
            guard Self.mayEnter(other.owner, from) else {
                throw RuleError("restricted_square", "the \(seatName(other.owner)) piece on \(to) may not enter \(from)")
            }
        }
    }

    private func ownPiece(_ at: Square, in position: Position) throws(RuleError) -> Piece {
        guard let piece = position[at] else { throw RuleError("no_piece", "no piece on \(at)") }
        guard piece.owner == position.sideToMove else {
            throw RuleError("not_your_piece", "the piece on \(at) is \(seatName(piece.owner))'s")
        }
        return piece
    }

    public func play(_ move: Move, on position: Position) -> Position {
        var next = position
        let me = position.sideToMove
        switch move {
        case .claimDraw:
            next.result = .draw(reason: "repetition")
            return next
        case .turn(let at, let cw):
            next.cells[at.index] = Piece(code: position.cells[at.index]).turned(clockwise: cw).code
        case .step(let from, let to):
            // An empty target makes this a plain move; an occupied one is a scarab's swap.
            next.cells.swapAt(from.index, to.index)
        }
        next.fire(me)
        next.sideToMove = 1 - me
        next.history = History(cells: next.cells, sideToMove: next.sideToMove, previous: position.history)
        return next
    }

    // MARK: Notation

    public func parseMove(_ text: String, in position: Position) throws(RuleError) -> Move {
        let words = text.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        if words.count == 1, words[0] == "draw" { return .claimDraw }
        if words.count == 2, words[0] == "cw" || words[0] == "ccw" {
            return .turn(try square(words[1], in: text), clockwise: words[0] == "cw")
        }
        if words.count == 1 {
            let ends = words[0].split(separator: "-", omittingEmptySubsequences: false)
            if ends.count == 2 {
                let from = try square(ends[0], in: text), to = try square(ends[1], in: text)
                guard from != to, abs(from.file - to.file) <= 1, abs(from.rank - to.rank) <= 1 else {
                    throw RuleError("notation", "a piece moves one square: \"\(text)\" is not a step")
                }
                return .step(from: from, to: to)
            }
        }
        throw RuleError("notation", "\"\(text)\" is not a Khet move (e6-d6, cw g5, ccw g5, draw)")
    }

    private func square(_ name: Substring, in text: String) throws(RuleError) -> Square {
        guard let (file, rank) = Square.coordinates(name) else {
            throw RuleError("notation", "\"\(name)\" in \"\(text)\" is not a square")
        }
        guard let s = Square(file: file, rank: rank) else {
            throw RuleError("off_board", "\(name) is off the board (a1 to j8)")
        }
        return s
    }

    public func notation(_ move: Move, in position: Position) -> String {
        switch move {
        case .step(let from, let to): "\(from)-\(to)"
        case .turn(let at, let cw): "\(cw ? "cw" : "ccw") \(at)"
        case .claimDraw: "draw"
        }
    }

    // MARK: For clients

    public func score(_ position: Position) -> JSONObject {
        var count = [0, 0]
        for c in position.cells where c != 0 { count[Piece(code: c).owner] += 1 }
        return ["silver": .int(count[0]), "red": .int(count[1])]
    }

    public func extras(_ position: Position) -> JSONObject {
        ["laser": .array(position.laser.map { .string($0.name) })]
    }

    /// Rank 8 at the top as Red sits; Silver's pieces in capitals: P pyramid (with its
    /// mirror's corner), A anubis (shield), S scarab, H pharaoh, X sphinx (beam).
    public func describe(_ position: Position) -> String {
        var out = "   "
        for file in 0..<Square.files { out += " \(Square(file: file, rank: 0)!.name.first!)   " }
        out += "\n"
        for rank in stride(from: Square.ranks - 1, through: 0, by: -1) {
            out += " \(rank + 1) "
            for file in 0..<Square.files {
                let token = position[Square(file: file, rank: rank)!].map(\.description) ?? "."
                out += " " + token + String(repeating: " ", count: 4 - token.count)
            }
            out += "\n"
        }
        switch position.result {
        case .ongoing: out += "\(seatName(position.sideToMove)) to move"
        case .win(let seat, let reason): out += "\(seatName(seat)) wins (\(reason))"
        case .draw(let reason): out += "draw (\(reason))"
        }
        if !position.laser.isEmpty { out += "; laser " + position.laser.map(\.name).joined(separator: " ") }
        return out + "\n"
    }
}
