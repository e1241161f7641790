extension Khet {
    /// The three standard setups. Only Silver's half is written out; Red's is the same
    /// half turned round the centre of the board.
    public enum Layout: String, Hashable, Sendable, CaseIterable {
        case classic, imhotep, dynasty

        /// Silver's pieces, in the order the rule book lists them.
        public var silverPieces: [(Square, Piece)] {
            let rows: [(String, Piece)] =
                switch self {
                case .classic:
                    [
                        ("c1", .pyramid(0, .northWest)), ("d1", .anubis(0, .north)), ("e1", .pharaoh(0)),
                        ("f1", .anubis(0, .north)), ("j1", .sphinx(0, .north)), ("h2", .pyramid(0, .northEast)),
                        ("c4", .pyramid(0, .northWest)), ("e4", .scarab(0, .slash)), ("f4", .scarab(0, .backslash)),
                        ("j4", .pyramid(0, .southWest)), ("c5", .pyramid(0, .southWest)), ("j5", .pyramid(0, .northWest)),
                        ("d6", .pyramid(0, .northWest)),
                    ]
                case .imhotep:
                    [
                        ("c1", .scarab(0, .slash)), ("d1", .anubis(0, .north)), ("e1", .pharaoh(0)),
                        ("f1", .anubis(0, .north)), ("j1", .sphinx(0, .north)), ("d3", .pyramid(0, .southWest)),
                        ("b4", .pyramid(0, .northWest)), ("e4", .scarab(0, .slash)), ("j4", .pyramid(0, .southWest)),
                        ("b5", .pyramid(0, .southWest)), ("e5", .pyramid(0, .southEast)), ("j5", .pyramid(0, .northWest)),
                        ("d6", .pyramid(0, .northWest)),
                    ]
                case .dynasty:
                    [
                        ("d1", .pyramid(0, .northWest)), ("e1", .anubis(0, .north)), ("f1", .pyramid(0, .northEast)),
                        ("j1", .sphinx(0, .north)), ("e2", .pharaoh(0)), ("d3", .scarab(0, .slash)),
                        ("e3", .anubis(0, .north)), ("f3", .pyramid(0, .northEast)), ("j3", .pyramid(0, .southWest)),
                        ("h4", .scarab(0, .backslash)), ("j4", .pyramid(0, .northWest)), ("e5", .pyramid(0, .northWest)),
                        ("g5", .pyramid(0, .southEast)),
                    ]
                }
            return rows.map { (Square($0.0)!, $0.1) }
        }

        /// Both sides' pieces: Silver's and Red's turned copy.
        public var pieces: [Square: Piece] {
            var all: [Square: Piece] = [:]
            for (s, p) in silverPieces {
                all[s] = p
                all[s.rotated] = p.rotatedForRed
            }
            return all
        }
    }
}
