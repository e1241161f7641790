extension Khet {
    /// A square of the 10 x 8 board: files a..j left to right, ranks 1..8 from Silver's side.
    public struct Square: Hashable, Sendable, Comparable, CustomStringConvertible {
        public static let files = 10
        public static let ranks = 8
        public static let count = files * ranks

        /// `rank * 10 + file`, both from zero, so a1 is 0 and j8 is 79.
        public let index: Int

        public init?(file: Int, rank: Int) {
            guard (0..<Self.files).contains(file), (0..<Self.ranks).contains(rank) else { return nil }
            index = rank * Self.files + file
        }

        /// The square with this index, which must be in `0 ..< count`.
        public init(index: Int) {
            precondition((0..<Self.count).contains(index), "a Khet square's index is 0 to 79")
            self.index = index
        }

        /// Reads `e4`; nil for anything else, including squares off the board.
        public init?(_ name: some StringProtocol) {
            guard let (file, rank) = Self.coordinates(name), let s = Square(file: file, rank: rank) else { return nil }
            self = s
        }

        /// File and rank from zero for a name like `e4` or `k12` that may be off the board,
        /// so that parsing can tell a typo from a square beyond the edge.
        static func coordinates(_ name: some StringProtocol) -> (Int, Int)? {
            let chars = Array(name.unicodeScalars)
            guard chars.count >= 2, chars.count <= 3, ("a"..."z").contains(chars[0]) else { return nil }
            var rank = 0
            for c in chars.dropFirst() {
                guard ("0"..."9").contains(c) else { return nil }
                rank = rank * 10 + Int(c.value - 48)
            }
            return (Int(chars[0].value - 97), rank - 1)
        }

        public var file: Int { index % Self.files }
        public var rank: Int { index / Self.files }

        /// The square one step away, or nil past the edge.
        public func neighbour(_ dx: Int, _ dy: Int) -> Square? { Square(file: file + dx, rank: rank + dy) }

        public func neighbour(_ d: Direction) -> Square? { neighbour(d.dx, d.dy) }

        /// The square Red's layout puts where Silver's has this one.
        public var rotated: Square { Square(index: Self.count - 1 - index) }

        public var name: String {
            String(UnicodeScalar(UInt8(97 + file))) + String(rank + 1)
        }
        public var description: String { name }

        public static func < (l: Square, r: Square) -> Bool { l.index < r.index }
    }

    /// A compass direction on the board; north is towards Red.
    public enum Direction: Int, Hashable, Sendable, CaseIterable {
        case north, east, south, west

        var dx: Int { [0, 1, 0, -1][rawValue] }
        var dy: Int { [1, 0, -1, 0][rawValue] }
        public var opposite: Direction { Direction(rawValue: (rawValue + 2) & 3)! }
        public var letter: String { ["N", "E", "S", "W"][rawValue] }
    }

    /// The corner a pyramid's mirror faces; its two mirrored sides face the two directions
    /// of that corner (a north-west pyramid's mirror takes light from the north and the west).
    public enum Corner: Int, Hashable, Sendable, CaseIterable {
        // Ordered clockwise so that corner k has its mirrored sides facing directions k and k+1.
        case northEast, southEast, southWest, northWest

        public var letters: String { ["NE", "SE", "SW", "NW"][rawValue] }
        /// The two directions the mirrored sides face.
        public var mirroredSides: (Direction, Direction) {
            (Direction(rawValue: rawValue)!, Direction(rawValue: (rawValue + 1) & 3)!)
        }
    }

    /// Which way a scarab's double mirror leans, seen from Silver's side.
    public enum Slant: Int, Hashable, Sendable, CaseIterable {
        case slash, backslash
        public var letters: String { ["/", "\\"][rawValue] }
    }

    public enum Kind: Int, Hashable, Sendable, CaseIterable {
        case pyramid = 1, anubis, scarab, pharaoh, sphinx

        /// Upper case for Silver in pictures; Red's are lower case.
        public var letter: Character { ["P", "A", "S", "H", "X"][rawValue - 1] }
    }

    /// A piece packed in a byte so a board is a small array that hashes quickly:
    /// bits 0-1 facing, bits 2-4 kind, bit 5 owner. Zero is an empty square.
    public struct Piece: Hashable, Sendable, CustomStringConvertible {
        let code: UInt8

        init(code: UInt8) { self.code = code }

        init(_ kind: Kind, _ owner: Seat, facing: Int) {
            code = UInt8(facing & 3) | UInt8(kind.rawValue << 2) | UInt8((owner & 1) << 5)
        }

        public static func pyramid(_ owner: Seat, _ mirror: Corner) -> Piece { Piece(.pyramid, owner, facing: mirror.rawValue) }
        public static func anubis(_ owner: Seat, _ shield: Direction) -> Piece { Piece(.anubis, owner, facing: shield.rawValue) }
        public static func scarab(_ owner: Seat, _ slant: Slant) -> Piece { Piece(.scarab, owner, facing: slant.rawValue) }
        public static func pharaoh(_ owner: Seat) -> Piece { Piece(.pharaoh, owner, facing: 0) }
        public static func sphinx(_ owner: Seat, _ beam: Direction) -> Piece { Piece(.sphinx, owner, facing: beam.rawValue) }

        public var kind: Kind { Kind(rawValue: Int(code >> 2) & 7)! }
        public var owner: Seat { Int(code >> 5) & 1 }
        var facing: Int { Int(code & 3) }

        /// Facing of a pyramid, nil for other pieces.
        public var corner: Corner? { kind == .pyramid ? Corner(rawValue: facing) : nil }
        /// Facing of an anubis (its shield) or a sphinx (its beam), nil for other pieces.
        public var direction: Direction? { kind == .anubis || kind == .sphinx ? Direction(rawValue: facing) : nil }
        public var slant: Slant? { kind == .scarab ? Slant(rawValue: facing & 1) : nil }

        /// `NW`, `N`, `/`, or empty for the pharaoh: the README's way of writing a facing.
        public var facingName: String {
            switch kind {
            case .pyramid: corner!.letters
            case .anubis, .sphinx: direction!.letter
            case .scarab: slant!.letters
            case .pharaoh: ""
            }
        }

        /// The same piece a quarter turn round; a scarab looks the same either way.
        func turned(clockwise: Bool) -> Piece {
            let f = kind == .scarab ? facing ^ 1 : (facing + (clockwise ? 1 : 3)) & 3
            return Piece(code: code & ~3 | UInt8(f))
        }

        /// Red's piece for a Silver piece of the layout: turned half round, owned by Red.
        var rotatedForRed: Piece {
            let f = kind == .scarab || kind == .pharaoh ? facing : (facing + 2) & 3
            return Piece(kind, 1, facing: f)
        }

        public var description: String {
            let k = owner == 0 ? kind.letter : Character(kind.letter.lowercased())
            return "\(k)\(facingName)"
        }
    }
}
