extension Khet {
    /// A board with the side to move, what repetition needs, and the last laser path.
    public struct Position: Hashable, Sendable {
        /// One byte per square (`Piece.code`, zero when empty), indexed by `Square.index`.
        var cells: [UInt8]
        public internal(set) var sideToMove: Seat
        /// The squares the last shot crossed, in order, ending where it stopped or left
        /// the board; empty before the first move.
        public internal(set) var laser: [Square]
        /// How often each board has stood with each side to move, this one included. A
        /// copy-on-write value, so keeping older positions around costs nothing until a move.
        var seen: [Placement: Int]
        var result: Outcome

        /// A position from a list of pieces, for tests and puzzles: no history, no laser yet.
        public init(pieces: [Square: Piece], sideToMove: Seat) {
            cells = Array(repeating: 0, count: Square.count)
            for (s, p) in pieces { cells[s.index] = p.code }
            self.sideToMove = sideToMove
            laser = []
            seen = [:]
            result = .ongoing
            seen[placement] = 1
        }

        public subscript(_ square: Square) -> Piece? {
            let c = cells[square.index]
            return c == 0 ? nil : Piece(code: c)
        }

        /// Every piece on the board, by square.
        public var pieces: [Square: Piece] {
            var all: [Square: Piece] = [:]
            for i in 0..<Square.count where cells[i] != 0 { all[Square(index: i)] = Piece(code: cells[i]) }
            return all
        }

        var placement: Placement { Placement(cells: cells, sideToMove: sideToMove) }

        /// How many times this board has stood with this side to move, this time included.
        public var repetitions: Int { seen[placement] ?? 0 }

        func square(ofSphinx seat: Seat) -> Square? {
            let code = Piece.sphinx(seat, .north).code
            for i in 0..<Square.count where cells[i] & ~3 == code { return Square(index: i) }
            return nil
        }

        /// This position after `seat`'s sphinx fires without a move, to show where a beam
        /// would go; the side to move and the history stay as they are.
        public func firing(_ seat: Seat) -> Position {
            var p = self
            p.fire(seat)
            return p
        }

        /// Fires `seat`'s sphinx: records the path, removes a piece hit on an unguarded
        /// side, and ends the game when a pharaoh is hit.
        mutating func fire(_ seat: Seat) {
            laser.removeAll(keepingCapacity: true)
            guard let origin = square(ofSphinx: seat) else { return }
            var beam = Piece(code: cells[origin.index]).direction!
            var at = origin
            // A beam's path can be run backwards, so it never enters a loop; the bound is a guard.
            for _ in 0..<(4 * Square.count) {
                guard let next = at.neighbour(beam) else { return }
                at = next
                laser.append(at)
                let code = cells[at.index]
                if code == 0 { continue }
                let piece = Piece(code: code)
                let side = beam.opposite  // the side of the piece the beam strikes
                switch piece.kind {
                case .pyramid:
                    let (a, b) = piece.corner!.mirroredSides
                    if side == a {
                        beam = b
                    } else if side == b {
                        beam = a
                    } else {
                        cells[at.index] = 0
                        return
                    }
                case .scarab:
                    // `/` swaps north with east and south with west; `\` north with west, south with east.
                    beam = Direction(rawValue: piece.slant == .slash ? beam.rawValue ^ 1 : 3 - beam.rawValue)!
                case .anubis:
                    if piece.direction != side { cells[at.index] = 0 }
                    return
                case .sphinx:
                    return
                case .pharaoh:
                    cells[at.index] = 0
                    result = .win(1 - piece.owner, reason: "pharaoh")
                    return
                }
            }
        }
    }

    /// What makes two positions the same for repetition: the board and the side to move.
    struct Placement: Hashable, Sendable {
        var cells: [UInt8]
        var sideToMove: Seat
    }

    /// The squares only one colour may enter: Red alone the a-file, i1 and i8; Silver
    /// alone the j-file, b1 and b8.
    static func mayEnter(_ owner: Seat, _ square: Square) -> Bool {
        let f = square.file
        let edgeRank = square.rank == 0 || square.rank == Square.ranks - 1
        if f == 0 || (f == 8 && edgeRank) { return owner == 1 }
        if f == 9 || (f == 1 && edgeRank) { return owner == 0 }
        return true
    }
}
