extension Khet {
    /// A board with the side to move, what repetition needs, and the last laser path.
    /// Two positions are equal when their boards, sides to move, last laser paths, results
    /// and repetition counts are.
    public struct Position: Hashable, Sendable {
        /// One byte per square (`Piece.code`, zero when empty), indexed by `Square.index`.
        var cells: [UInt8]
        public internal(set) var sideToMove: Seat
        /// The squares the last shot crossed, in order, ending where it stopped or left
        /// the board; empty before the first move.
        public internal(set) var laser: [Square]
        /// The boards that have stood so far, this one first. Shared with the positions
        /// before it, so a move adds one node instead of copying a table.
        var history: History
        var result: Outcome

        /// A position from a list of pieces, for tests and puzzles: no history, no laser yet.
        public init(pieces: [Square: Piece], sideToMove: Seat) {
            cells = Array(repeating: 0, count: Square.count)
            for (s, p) in pieces { cells[s.index] = p.code }
            self.sideToMove = sideToMove
            laser = []
            result = .ongoing
            history = History(cells: cells, sideToMove: sideToMove, previous: nil)
        }

        public static func == (l: Position, r: Position) -> Bool {
            l.cells == r.cells && l.sideToMove == r.sideToMove && l.laser == r.laser && l.result == r.result
                && l.history.count == r.history.count
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(cells)
            hasher.combine(sideToMove)
            hasher.combine(history.count)
        }

        /// A hash of the board and the side to move, for engines' transposition tables.
        public var searchKey: Int { Int(bitPattern: UInt(History.hash(cells, sideToMove))) }

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

        /// How many times this board has stood with this side to move, this time included.
        public var repetitions: Int { history.count }

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
            guard let hit = traceBeam(seat, { laser.append($0) }) else { return }
            let piece = Piece(code: cells[hit.index])
            cells[hit.index] = 0
            if piece.kind == .pharaoh { result = .win(1 - piece.owner, reason: "pharaoh") }
        }

        /// Follows the beam `seat`'s sphinx would fire now, changing nothing: calls `visit`
        /// with each square it crosses, in order, and returns the square of the piece it
        /// would remove (hit on an unguarded side), or nil when it leaves the board or stops
        /// on a shield or a sphinx.
        public func traceBeam(_ seat: Seat, _ visit: (Square) -> Void = { _ in }) -> Square? {
            guard let origin = square(ofSphinx: seat) else { return nil }
            var beam = Piece(code: cells[origin.index]).direction!
            var at = origin
            // A beam's path can be run backwards, so it never enters a loop; the bound is a guard.
            for _ in 0..<(4 * Square.count) {
                guard let next = at.neighbour(beam) else { return nil }
                at = next
                visit(at)
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
                        return at
                    }
                case .scarab:
                    // `/` swaps north with east and south with west; `\` north with west, south with east.
                    beam = Direction(rawValue: piece.slant == .slash ? beam.rawValue ^ 1 : 3 - beam.rawValue)!
                case .anubis:
                    return piece.direction != side ? at : nil
                case .sphinx:
                    return nil
                case .pharaoh:
                    return at
                }
            }
            return nil
        }
    }

    /// One board that has stood in a game, linked to the one before it. A capture is final,
    /// so the walk back for an equal board stops at the first board with another number of
    /// pieces.
    final class History: @unchecked Sendable {
        let cells: [UInt8]
        let sideToMove: Seat
        let key: UInt64
        let pieces: Int
        /// How often this board has stood with this side to move, this time included.
        let count: Int
        /// Set once in `init` and cleared only in `deinit` (immutable while shared).
        private(set) var previous: History?

        init(cells: [UInt8], sideToMove: Seat, previous: History?) {
            self.cells = cells
            self.sideToMove = sideToMove
            key = Self.hash(cells, sideToMove)
            var pieces = 0
            for c in cells where c != 0 { pieces += 1 }
            self.pieces = pieces
            var count = 1
            var node = previous
            while let h = node, h.pieces == pieces {
                if h.key == key && h.sideToMove == sideToMove && h.cells == cells {
                    count = h.count + 1
                    break
                }
                node = h.previous
            }
            self.count = count
            // Boards before a capture can never stand again: drop them.
            self.previous = previous?.pieces == pieces ? previous : nil
        }

        deinit {
            // Releases a long chain one node at a time instead of recursing down it.
            var next = previous.take()
            while isKnownUniquelyReferenced(&next) {
                next = next?.previous.take()
            }
        }

        /// A hash of a board and the side to move.
        static func hash(_ cells: [UInt8], _ side: Seat) -> UInt64 {
            cells.withUnsafeBytes { PositionHash.mix($0, seed: UInt64(side + 1)) }
        }
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
