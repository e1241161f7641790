import PlyJSON

/// Hive with the Mosquito, Ladybug and Pillbug expansions, as the Mzinga engine plays it
/// (tournament rule: no queen on a player's first turn), in Universal Hive Protocol notation.
public struct HiveRules: GameRules {
    public typealias Settings = HiveSettings
    public typealias Position = HivePosition
    public typealias Move = HiveMove

    public init() {}

    public var id: String { "hive" }
    public var name: String { "Hive" }
    public var seatNames: [String] { ["white", "black"] }

    public var defaultSettings: HiveSettings { HiveSettings() }

    static let expansionChoices = ["", "M", "L", "P", "ML", "MP", "LP", "MLP"]

    public func settings(from json: JSONObject) throws(SettingsError) -> HiveSettings {
        let reader = try SettingsReader(json, game: id, allowed: ["expansions"])
        let letters = try reader.choice("expansions", of: Self.expansionChoices, default: "")
        return HiveSettings(expansions: HiveExpansions(letters: letters) ?? [])
    }

    public func json(_ settings: HiveSettings) -> JSONObject {
        ["expansions": .string(settings.expansions.letters)]
    }

    public func initialPosition(_ settings: HiveSettings) -> HivePosition {
        HivePosition(expansions: settings.expansions)
    }

    public func sideToMove(_ position: HivePosition) -> Seat { position.ply & 1 }

    public func outcome(_ position: HivePosition) -> Outcome {
        let white = position.queenNeighbours(0) == 6, black = position.queenNeighbours(1) == 6
        switch (white, black) {
        case (true, true): return .draw(reason: "surrounded")
        case (true, false): return .win(1, reason: "surrounded")
        case (false, true): return .win(0, reason: "surrounded")
        case (false, false): return .ongoing
        }
    }

    public func legalMoves(_ position: HivePosition) -> [HiveMove] {
        var board = HiveBoard(position)
        let n = board.generate()
        if n == 0 { return board.isOver ? [] : [.pass] }
        return (0..<board.moveCount).map { HiveMove(packed: board.moves[$0]) }
    }

    public func apply(_ move: HiveMove, to position: HivePosition) throws(RuleError) -> HivePosition {
        var board = HiveBoard(position)
        let n = board.generate()
        if move.isPass {
            if board.isOver { throw RuleError("game_over", "the game is over") }
            if n > 0 { throw RuleError("pass_not_allowed", "you may pass only when you have no other move") }
        } else {
            var legal = false
            for i in 0..<board.moveCount where board.moves[i] == move.packed { legal = true; break }
            if !legal { throw Self.whyIllegal(move, &board) }
        }
        return play(move, on: position)
    }

    public func play(_ move: HiveMove, on position: HivePosition) -> HivePosition {
        var next = position
        next.ply += 1
        if move.isPass {
            next.lastMoved = -1
        } else {
            next.locations[move.piece] = Int32(move.cell | move.level << 10)
            next.lastMoved = Int8(move.piece)
        }
        return next
    }

    /// Names the rule an illegal move breaks, checking in Mzinga's order.
    private static func whyIllegal(_ move: HiveMove, _ board: inout HiveBoard) -> RuleError {
        let p = move.piece, name = HivePieces.name(p)
        let me = board.colour * HivePieces.perColour
        let bug = HivePieces.bug(p)
        let side = board.colour == 0 ? "white" : "black"
        if board.isOver {
            return RuleError("game_over", "the game is over")
        }
        if HivePieces.colour(p) != board.colour {
            return RuleError("not_your_turn", "it is \(side)'s turn, and no pillbug of \(side)'s can move \(name) there")
        }
        if !board.enabled(p) {
            return RuleError("piece_not_in_game", "\(name) is not part of this game's expansions")
        }
        if board.playerTurn == 1 && bug == .queen {
            return RuleError("queen_first_turn", "the queen may not be placed on a player's first turn")
        }
        if !board.inPlay(me) {
            if board.playerTurn == 4 && bug != .queen {
                return RuleError("queen_by_fourth_turn", "the queen must be placed by a player's fourth turn")
            }
            if board.inPlay(p) {
                return RuleError("queen_not_placed", "no piece may move before its side's queen is placed")
            }
        }
        if !board.inOrder(p) {
            return RuleError("piece_order", "bugs of one kind are placed in order: \(HivePieces.name(p - 1)) first")
        }
        if Int(board.height[move.cell]) > move.level {
            return RuleError("occupied", "a piece already stands there")
        }
        if board.inPlay(p) {
            if !board.isOnTop(p) {
                return RuleError("covered", "\(name) has a piece on top of it")
            }
            board.findPinned()
            if board.isPinned(p) {
                return RuleError("one_hive", "moving \(name) would split the hive")
            }
            if p == board.lastMoved {
                return RuleError("just_moved", "\(name) was just moved by a pillbug and must rest a turn")
            }
            return RuleError("movement", "\(name) cannot move there")
        }
        if move.level > 0 {
            return RuleError("placement", "a new piece is placed on the ground, not on top of the hive")
        }
        return RuleError("placement", "a new piece must touch its own side's pieces and none of the opponent's")
    }

    // MARK: Notation

    public func parseMove(_ text: String, in position: HivePosition) throws(RuleError) -> HiveMove {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = parts.first, parts.count <= 2 else {
            throw RuleError("notation", "expected a UHP move such as wS1, bG1 -wS1, wB1 wS1/ or pass, not \"\(text)\"")
        }
        if first.lowercased() == "pass" && parts.count == 1 { return .pass }
        guard let piece = HivePieces.parse(first) else {
            throw RuleError("notation", "\"\(first)\" is not a piece (wQ, wS1, bB2, bG3, wA1, bM, wL, bP, ...)")
        }
        guard parts.count == 2 else {
            return HiveMove(piece: piece, cell: HiveBoard.origin, level: 0)
        }
        var ref = Substring(parts[1])
        // UHP: `-X` left, `/X` lower-left, `\X` upper-left, `X-` right, `X/` upper-right,
        // `X\` lower-right, `X` on top of X.
        var direction: Int?
        if let c = ref.first, let d = ["\\": 0, "/": 4, "-": 5][c] {
            direction = d
            ref = ref.dropFirst()
        } else if let c = ref.last, let d = ["/": 1, "-": 2, "\\": 3][c] {
            direction = d
            ref = ref.dropLast()
        }
        guard let target = HivePieces.parse(ref) else {
            throw RuleError("notation", "\"\(parts[1])\" is not a reference such as wS1, -wS1 or wS1/")
        }
        let at = position.locations[target]
        guard at >= 0 else {
            throw RuleError("notation", "\(HivePieces.name(target)) is not on the board")
        }
        if let d = direction {
            return HiveMove(piece: piece, cell: HiveBoard.step(Int(at & 1023), d), level: 0)
        }
        return HiveMove(piece: piece, cell: Int(at & 1023), level: Int(at >> 10) + 1)
    }

    /// Prints as Mzinga does: the piece alone for the first placement; the piece beneath
    /// for a climb; otherwise the first neighbour of the destination found going clockwise
    /// from the upper-left, not counting the moving piece itself.
    public func notation(_ move: HiveMove, in position: HivePosition) -> String {
        if move.isPass { return "pass" }
        let p = move.piece, name = HivePieces.name(p)
        if position.ply == 0 && move.cell == HiveBoard.origin { return name }
        if move.level > 0 {
            let below = position.locations.firstIndex(of: Int32(move.cell | (move.level - 1) << 10))
            return name + " " + (below.map(HivePieces.name) ?? "?")
        }
        for d in 0..<6 {
            guard let t = position.top(HiveBoard.step(move.cell, d), excluding: p) else { continue }
            let ref = HivePieces.name(t)
            switch d {
            case 0: return "\(name) \(ref)\\"
            case 1: return "\(name) /\(ref)"
            case 2: return "\(name) -\(ref)"
            case 3: return "\(name) \\\(ref)"
            case 4: return "\(name) \(ref)/"
            default: return "\(name) \(ref)-"
            }
        }
        return name
    }

    // MARK: Mzinga game strings

    /// Builds a position from a Mzinga GameString, `GameType;BoardState;Turn;move;move;...`
    /// (e.g. `Base+MLP;InProgress;White[3];wS1;bG1 -wS1`). The state and turn fields are
    /// not trusted: the moves are replayed, each checked.
    public static func position(gameString: String) throws(RuleError) -> HivePosition {
        let fields = gameString.split(separator: ";", omittingEmptySubsequences: false)
        let type = fields.first.map { $0.filter { !$0.isWhitespace && $0 != "\u{FEFF}" } } ?? ""
        guard fields.count >= 3, let expansions = HiveExpansions(gameType: type) else {
            throw RuleError("notation", "expected GameType;BoardState;Turn;moves..., not \"\(gameString)\"")
        }
        let rules = HiveRules()
        var position = rules.initialPosition(HiveSettings(expansions: expansions))
        for field in fields.dropFirst(3) {
            let text = trimmed(field)
            if text.isEmpty { continue }
            position = try rules.apply(notation: text, to: position)
        }
        return position
    }

    // MARK: Presentation

    public func score(_ position: HivePosition) -> JSONObject {
        func side(_ colour: Int) -> JSONValue {
            let pieces = colour * HivePieces.perColour ..< (colour + 1) * HivePieces.perColour
            let inHand = pieces.filter {
                position.locations[$0] < 0 && position.expansions.enables(HivePieces.bug($0))
            }.count
            return ["queen_neighbours": .int(position.queenNeighbours(colour)), "in_hand": .int(inHand)]
        }
        return ["white": side(0), "black": side(1)]
    }

    public func describe(_ position: HivePosition) -> String {
        HivePicture(position).text
    }

    public func perft(_ position: HivePosition, depth: Int) -> Int {
        var board = HiveBoard(position)
        return board.perft(depth)
    }
}

/// Drops surrounding white space and byte-order marks (the reference files start with one).
private func trimmed(_ s: Substring) -> String {
    let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{FEFF}" }
    guard let start = s.firstIndex(where: { !isSpace($0) }), let end = s.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(s[start...end])
}
