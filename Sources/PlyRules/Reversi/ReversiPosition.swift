/// One of the 64 squares, a1 (top-left) to h8 (bottom-right): files a..h run left to
/// right and ranks 1..8 top to bottom.
public struct ReversiSquare: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `8 * (rank - 1) + file`, so a1 is 0, h1 is 7 and a8 is 56: the bit of the square.
    public let index: Int

    public init?(index: Int) {
        guard (0..<64).contains(index) else { return nil }
        self.index = index
    }

    /// `file` 0...7 for a...h, `rank` 1...8.
    public init?(file: Int, rank: Int) {
        guard (0..<8).contains(file), (1...8).contains(rank) else { return nil }
        index = 8 * (rank - 1) + file
    }

    /// Reads `f5` or `F5`.
    public init?(_ name: String) {
        var u = name.utf8.makeIterator()
        guard let first = u.next(), let r = u.next(), u.next() == nil else { return nil }
        let f = first | 0x20  // lower case
        guard (UInt8(ascii: "a")...UInt8(ascii: "h")).contains(f), (UInt8(ascii: "1")...UInt8(ascii: "8")).contains(r)
        else { return nil }
        self.init(file: Int(f - UInt8(ascii: "a")), rank: Int(r - UInt8(ascii: "0")))
    }

    public var file: Int { index & 7 }
    public var rank: Int { (index >> 3) + 1 }
    /// Lower case, as the protocol prints moves.
    public var name: String {
        String(decoding: [UInt8(ascii: "a") + UInt8(file), UInt8(ascii: "0") + UInt8(rank)], as: UTF8.self)
    }
    public var description: String { name }

    var bit: UInt64 { 1 &<< UInt64(index) }

    public static func < (l: ReversiSquare, r: ReversiSquare) -> Bool { l.index < r.index }
    public static let all: [ReversiSquare] = (0..<64).map { ReversiSquare(index: $0)! }
}

/// A turn: a disc on a square, or a pass, which the rules allow only when no square is.
public enum ReversiMove: Hashable, Sendable {
    case place(ReversiSquare)
    case pass
}

/// The two colours; black moves first.
public enum ReversiColour: Int, Hashable, Sendable, CaseIterable {
    case black = 0
    case white = 1

    public var opponent: ReversiColour { self == .black ? .white : .black }
}

/// The discs of each colour and whose turn it is. Whether the game is over follows from
/// the discs (neither side can place one), so nothing else needs keeping.
public struct ReversiPosition: Hashable, Sendable {
    public var black: UInt64
    public var white: UInt64
    public var toMove: ReversiColour

    public init(black: UInt64, white: UInt64, toMove: ReversiColour) {
        precondition(black & white == 0, "a square holds one disc")
        self.black = black
        self.white = white
        self.toMove = toMove
    }

    /// The standard start: d4 and e5 white, d5 and e4 black, black to move.
    public static let start = ReversiPosition(
        black: ReversiSquare("d5")!.bit | ReversiSquare("e4")!.bit,
        white: ReversiSquare("d4")!.bit | ReversiSquare("e5")!.bit,
        toMove: .black)

    /// Reads the picture `describe` prints: 64 cells of `.`, `x` (black) or `o` (white),
    /// rank 1 first; whitespace is ignored. For tests and tools that set up a position.
    public init?(board: String, toMove: ReversiColour) {
        var black: UInt64 = 0
        var white: UInt64 = 0
        var i = 0
        for c in board.unicodeScalars where !c.properties.isWhitespace {
            guard i < 64 else { return nil }
            switch c {
            case ".": break
            case "x", "X": black |= 1 &<< UInt64(i)
            case "o", "O": white |= 1 &<< UInt64(i)
            default: return nil
            }
            i += 1
        }
        guard i == 64 else { return nil }
        self.init(black: black, white: white, toMove: toMove)
    }

    public subscript(square: ReversiSquare) -> ReversiColour? {
        if black & square.bit != 0 { return .black }
        if white & square.bit != 0 { return .white }
        return nil
    }

    public func discs(_ colour: ReversiColour) -> Int {
        (colour == .black ? black : white).nonzeroBitCount
    }

    /// The discs of the side to move, and of the other side.
    public var mover: UInt64 { toMove == .black ? black : white }
    public var opponent: UInt64 { toMove == .black ? white : black }

    /// The position after the side to move places a disc on `square` turning over `flips`.
    func placing(_ square: UInt64, flipping flips: UInt64) -> ReversiPosition {
        var next = self
        if toMove == .black {
            next.black |= square | flips
            next.white &= ~flips
        } else {
            next.white |= square | flips
            next.black &= ~flips
        }
        next.toMove = toMove.opponent
        return next
    }

    func passing() -> ReversiPosition {
        var next = self
        next.toMove = toMove.opponent
        return next
    }
}
