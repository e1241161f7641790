/// Which expansion bugs a game of Hive uses.
public struct HiveSettings: Hashable, Sendable {
    public var expansions: HiveExpansions
    public init(expansions: HiveExpansions = []) { self.expansions = expansions }
}

/// A Hive position: where each of the 28 pieces is, whose turn it is, and which piece moved
/// last (a piece the opponent's pillbug just moved may not move, and the pillbug may not
/// move the piece its opponent just moved).
public struct HivePosition: Hashable, Sendable {
    public let expansions: HiveExpansions
    /// Plies played so far; white moves on even plies.
    var ply: Int
    /// The piece moved or placed by the last ply; -1 at the start and after a pass.
    var lastMoved: Int8
    /// Per piece (Mzinga's numbering): -1 in hand, else cell | level << 10, where the cell
    /// is an axial hex on a 32 x 32 torus (see `HiveBoard`) and level 0 is the ground.
    var locations: [Int32]

    init(expansions: HiveExpansions, ply: Int, lastMoved: Int8, locations: [Int32]) {
        self.expansions = expansions
        self.ply = ply
        self.lastMoved = lastMoved
        self.locations = locations
    }

    init(expansions: HiveExpansions) {
        self.init(expansions: expansions, ply: 0, lastMoved: -1, locations: Array(repeating: -1, count: HivePieces.count))
    }

    /// The mover's own turn number, 1-based, as UHP writes it (`White[3]`).
    public var turn: Int { 1 + ply / 2 }

    /// The piece on top of `cell`, leaving out `excluded`, or nil.
    func top(_ cell: Int, excluding excluded: Int = -1) -> Int? {
        var best: Int?
        var bestLevel = -1
        for p in 0..<HivePieces.count where p != excluded && locations[p] >= 0 && Int(locations[p] & 1023) == cell {
            let lv = Int(locations[p] >> 10)
            if lv > bestLevel { best = p; bestLevel = lv }
        }
        return best
    }

    func isOccupied(_ cell: Int) -> Bool {
        locations.contains { $0 >= 0 && Int($0 & 1023) == cell }
    }

    /// How many of the six hexes around a colour's queen are occupied (0 if not placed).
    func queenNeighbours(_ colour: Int) -> Int {
        let q = locations[colour * HivePieces.perColour]
        guard q >= 0 else { return 0 }
        let c = Int(q & 1023)
        var around: UInt32 = 0
        for l in locations where l >= 0 {
            // A neighbour's cell differs from the queen's by one of the six offsets, mod 1024.
            switch (Int(l & 1023) - c) & 1023 {
            case 992: around |= 1
            case 993: around |= 2
            case 1: around |= 4
            case 32: around |= 8
            case 31: around |= 16
            case 1023: around |= 32
            default: break
            }
        }
        return around.nonzeroBitCount
    }
}

extension HiveBoard {
    /// The neighbouring cell of `c` in direction `d` (0 ..< 6).
    static func step(_ c: Int, _ d: Int) -> Int { (c + offsets[d]) & 1023 }
}

/// A Hive move: a piece going to a hex at a stack level (placing or moving), or `pass`.
/// Two ways to reach the same hex are the same move.
public struct HiveMove: Hashable, Sendable, CustomStringConvertible {
    let packed: UInt32

    init(packed: UInt32) { self.packed = packed }
    init(piece: Int, cell: Int, level: Int) { packed = HiveBoard.pack(piece, cell, level) }

    public static let pass = HiveMove(packed: HiveBoard.passMove)
    public var isPass: Bool { packed == HiveBoard.passMove }

    var piece: Int { HiveBoard.piece(packed) }
    var cell: Int { HiveBoard.cell(packed) }
    var level: Int { HiveBoard.level(packed) }

    /// For diagnostics: UHP needs the position, so this names the piece and the raw cell.
    public var description: String {
        isPass ? "pass" : "\(HivePieces.name(piece)) to cell \(cell) level \(level)"
    }
}

// MARK: For engines

extension HivePosition {
    /// 0 when white is to move, 1 when black is.
    public var colourToMove: Int { ply & 1 }

    /// Plies played so far.
    public var plyCount: Int { ply }

    /// A hash of what the rules look at (the pieces, the piece moved last, the side to move
    /// and, until each side has had four turns, the turn), for engines' transposition tables
    /// and repetition checks. From ply 8 on, the queens' deadline has passed and only whose
    /// turn it is matters.
    public var searchKey: Int {
        let turn = ply < 8 ? ply : 8 + ply & 1
        let seed = UInt64(turn) << 8 | UInt64(UInt8(bitPattern: lastMoved))
        return Int(bitPattern: UInt(locations.withUnsafeBytes { PositionHash.mix($0, seed: seed) }))
    }

    /// What an engine's evaluation reads of both colours, from one board.
    public var features: HiveFeatures {
        var board = HiveBoard(self)
        board.findPinned()
        var f = HiveFeatures()
        for colour in 0..<2 {
            let own = colour * HivePieces.perColour, enemyQueen = (1 - colour) * HivePieces.perColour
            var side = HiveFeatures.Side()
            if board.inPlay(own) {
                side.queenPlaced = true
                let c = board.cellOf(own)
                for d in 0..<6 where board.occupied(board.neighbour(c, d)) { side.queenSurroundings += 1 }
                for p in own..<own + HivePieces.perColour where board.inPlay(p) && board.isOnTop(p) && !board.isPinned(p) {
                    side.freePieces += 1
                }
            }
            if board.inPlay(enemyQueen) {
                let target = board.cellOf(enemyQueen)
                for d in 0..<6 {
                    let t = board.top(board.neighbour(target, d))
                    if t >= 0 && HivePieces.colour(t) == colour { side.piecesAroundEnemyQueen += 1 }
                }
                for p in own + 1..<own + HivePieces.perColour where board.inPlay(p) {
                    // Two cells' difference as an axial vector (the hive never spans 16 hexes).
                    var d = (board.cellOf(p) - target) & 1023
                    if d >= 512 { d -= 1024 }
                    let dx = ((d + 16) & 31) - 16, dy = (d - dx) / 32
                    let distance = (abs(dx) + abs(dy) + abs(dx + dy)) / 2
                    side.closenessToEnemyQueen += max(0, 4 - distance)
                }
            }
            if colour == 0 { f.white = side } else { f.black = side }
        }
        return f
    }
}

/// What a Hive engine's evaluation reads of a position, per colour.
public struct HiveFeatures: Hashable, Sendable {
    public struct Side: Hashable, Sendable {
        /// Whether the colour's queen is on the board.
        public var queenPlaced = false
        /// How many of the six hexes around the colour's queen are occupied; 0 while she is in hand.
        public var queenSurroundings = 0
        /// Pieces of the colour on the six hexes around the other queen.
        public var piecesAroundEnemyQueen = 0
        /// How close the colour's pieces (its queen aside) stand to the other queen: 3 for
        /// each next to her, 2 for each two hexes away, 1 for three; 0 while she is in hand.
        /// Engines reward it so that a bot brings its pieces to the attack instead of shuffling.
        public var closenessToEnemyQueen = 0
        /// Pieces on top of their stack that do not hold the hive together, so could move if
        /// it were the colour's turn (0 while its queen is in hand): a cheap measure of mobility.
        public var freePieces = 0
    }

    public var white = Side()
    public var black = Side()

    public subscript(colour: Int) -> Side { colour == 0 ? white : black }
}
