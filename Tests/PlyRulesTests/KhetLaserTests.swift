import PlyJSON
import PlyRules
import Testing

/// Beams fired at one piece on e4 from each side. The firing sphinx sits on the edge
/// facing e4; the move that makes it fire is a quarter turn of an anubis on h7, a
/// square no beam through e4 crosses.
@Suite("Khet laser")
struct KhetLaserTests {
    typealias S = KhetSupport

    static let step: [String: (Int, Int)] = ["N": (0, 1), "E": (1, 0), "S": (0, -1), "W": (-1, 0)]
    static let opposite: [String: String] = ["N": "S", "S": "N", "E": "W", "W": "E"]
    /// Where a sphinx stands to send its beam towards e4 travelling that way.
    static let source: [String: String] = ["N": "e1", "S": "e8", "E": "a4", "W": "j4"]

    static func direction(_ letter: String) -> Khet.Direction { Khet.Direction.allCases.first { $0.letter == letter }! }

    /// Squares from `from` (not included) going `travel` until `stop` (included) or past the edge.
    static func walk(from: String, _ travel: String, stopAt stop: String? = nil) -> [String] {
        var file = Int(from.unicodeScalars.first!.value) - 97, rank = Int(from.dropFirst())! - 1
        let (dx, dy) = step[travel]!
        var out: [String] = []
        while true {
            file += dx
            rank += dy
            guard (0..<10).contains(file), (0..<8).contains(rank) else { return out }
            let name = String(UnicodeScalar(UInt8(97 + file))) + String(rank + 1)
            out.append(name)
            if name == stop { return out }
        }
    }

    /// Fires `seat`'s sphinx travelling `travel` at `target` on e4 and returns the position after.
    static func shoot(_ target: Khet.Piece, travelling travel: String, seat: Int = 0) throws -> Khet.Position {
        var pieces: [String: Khet.Piece] = ["e4": target]
        pieces[source[travel]!] = .sphinx(seat, direction(travel))
        pieces["h7"] = .anubis(seat, .north)
        return try S.rules.apply(notation: "cw h7", to: S.position(pieces, toMove: seat))
    }

    @Test("a pyramid turns the beam off a mirrored side and is removed when hit on another",
          arguments: ["NE", "SE", "SW", "NW"], ["N", "E", "S", "W"])
    func pyramid(corner: String, travel: String) throws {
        let mirror = try #require(Khet.Corner.allCases.first { $0.letters == corner })
        let after = try Self.shoot(.pyramid(1, mirror), travelling: travel)
        let struck = Self.opposite[travel]!  // the side of the pyramid facing the incoming beam
        let into = Self.walk(from: Self.source[travel]!, travel, stopAt: "e4")
        if corner.contains(struck) {
            let out = String(corner.filter { String($0) != struck })
            #expect(after.laser.map(\.name) == into + Self.walk(from: "e4", out))
            #expect(after[S.square("e4")] == .pyramid(1, mirror))
        } else {
            #expect(after.laser.map(\.name) == into)
            #expect(after[S.square("e4")] == nil)
        }
        #expect(S.rules.score(after) == ["silver": 2, "red": corner.contains(struck) ? 1 : 0])
    }

    @Test("a scarab turns the beam off either face and is never removed",
          arguments: ["/", "\\"], ["N", "E", "S", "W"])
    func scarab(slant: String, travel: String) throws {
        let turns: [String: [String: String]] = [
            "/": ["E": "N", "N": "E", "W": "S", "S": "W"],
            "\\": ["E": "S", "S": "E", "W": "N", "N": "W"],
        ]
        let piece = Khet.Piece.scarab(1, slant == "/" ? .slash : .backslash)
        #expect(piece.facingName == slant)
        let after = try Self.shoot(piece, travelling: travel)
        let out = turns[slant]![travel]!
        #expect(after.laser.map(\.name) == Self.walk(from: Self.source[travel]!, travel, stopAt: "e4") + Self.walk(from: "e4", out))
        #expect(after[S.square("e4")] == piece)
    }

    @Test("an anubis stops the beam and survives only a hit on its shield", arguments: ["N", "E", "S", "W"])
    func anubis(shield: String) throws {
        let piece = Khet.Piece.anubis(1, Self.direction(shield))
        let after = try Self.shoot(piece, travelling: "N")  // strikes its south side
        #expect(after.laser.map(\.name) == ["e2", "e3", "e4"])
        #expect(after[S.square("e4")] == (shield == "S" ? piece : nil))
    }

    @Test("a sphinx stops the beam and is never removed")
    func sphinx() throws {
        let after = try Self.shoot(.sphinx(1, .west), travelling: "E")
        #expect(after.laser.map(\.name) == ["b4", "c4", "d4", "e4"])
        #expect(after[S.square("e4")] == .sphinx(1, .west))
        #expect(S.rules.outcome(after) == .ongoing)
    }

    @Test("an empty line: the beam leaves the board")
    func leaves() throws {
        let s = S.position(["j1": .sphinx(0, .north), "a8": .sphinx(1, .south), "c3": .anubis(0, .north)])
        let open = try S.rules.apply(notation: "ccw c3", to: s)
        #expect(open.laser.map(\.name) == ["j2", "j3", "j4", "j5", "j6", "j7", "j8"])
    }

    @Test("a pharaoh hit by its own side's beam loses", arguments: [0, 1])
    func ownPharaoh(seat: Int) throws {
        let after = try Self.shoot(.pharaoh(seat), travelling: "W", seat: seat)
        #expect(after.laser.map(\.name) == ["i4", "h4", "g4", "f4", "e4"])
        #expect(S.rules.outcome(after) == .win(1 - seat, reason: "pharaoh"))
        #expect(after[S.square("e4")] == nil)
        #expect(S.rules.legalMoves(after).isEmpty)
        #expect(S.brokenRule("ccw h7", in: after) == "game_over")
    }

    @Test("a pharaoh hit by the other side's beam loses", arguments: [0, 1])
    func otherPharaoh(seat: Int) throws {
        let after = try Self.shoot(.pharaoh(1 - seat), travelling: "S", seat: seat)
        #expect(S.rules.outcome(after) == .win(seat, reason: "pharaoh"))
    }

    @Test("a beam may turn at several mirrors and come back to strike its own sphinx")
    func roundTrip() throws {
        // j1 fires north; j4 turns it west, b4 south, b1 east along rank 1 into the sphinx's side.
        let p = S.position([
            "j1": .sphinx(0, .north), "j4": .pyramid(0, .southWest), "b4": .pyramid(0, .southEast),
            "b1": .pyramid(0, .northEast), "e6": .anubis(0, .north),
        ])
        let after = try S.rules.apply(notation: "cw e6", to: p)
        #expect(after.laser.map(\.name) == ["j2", "j3", "j4", "i4", "h4", "g4", "f4", "e4", "d4", "c4", "b4", "b3", "b2", "b1",
                                            "c1", "d1", "e1", "f1", "g1", "h1", "i1", "j1"])
        #expect(after.pieces.count == 5)
    }
}
