import PlyJSON
import PlyRules
import Testing

@Suite("Khet moves")
struct KhetMoveTests {
    typealias S = KhetSupport

    @Test("moves from the initial position", arguments: [(Khet.Layout.classic, 79), (.imhotep, 75), (.dynasty, 72)])
    func initialCount(layout: Khet.Layout, count: Int) {
        let start = S.rules.initialPosition(.init(layout: layout))
        #expect(S.rules.legalMoves(start).count == count)
        #expect(S.rules.perft(start, depth: 1) == count)
    }

    /// Every text of every move form for every square, so the listing can be compared
    /// with what `apply` accepts.
    static let candidates: [String] = {
        var all = ["draw"]
        for rank in 1...8 {
            for file in 0..<10 {
                let from = String(UnicodeScalar(UInt8(97 + file))) + String(rank)
                all += ["cw \(from)", "ccw \(from)"]
                for dx in -1...1 {
                    for dy in -1...1 where dx != 0 || dy != 0 {
                        let f = file + dx, r = rank + dy
                        if (0..<10).contains(f), (1...8).contains(r) {
                            all.append("\(from)-\(String(UnicodeScalar(UInt8(97 + f))))\(r)")
                        }
                    }
                }
            }
        }
        return all
    }()

    /// Forty plies of a game that takes a different listed move each time.
    static func line(_ layout: Khet.Layout) -> [Khet.Position] {
        var p = S.rules.initialPosition(.init(layout: layout))
        var seen = [p]
        for ply in 0..<40 {
            let moves = S.rules.legalMoves(p)
            if moves.isEmpty { break }
            p = S.rules.play(moves[(ply * 37 + 11) % moves.count], on: p)
            seen.append(p)
        }
        return seen
    }

    @Test("the listed moves are exactly the moves apply accepts, each once", arguments: Khet.Layout.allCases)
    func listingMatchesChecks(layout: Khet.Layout) throws {
        for p in Self.line(layout) {
            let listed = S.rules.legalMoves(p).map { S.rules.notation($0, in: p) }
            #expect(Set(listed).count == listed.count)
            let accepted = Self.candidates.filter { S.brokenRule($0, in: p) == nil }
            #expect(Set(listed) == Set(accepted))
            // Applying checked and playing unchecked agree.
            for m in S.rules.legalMoves(p).prefix(12) {
                #expect(try S.rules.apply(m, to: p) == S.rules.play(m, on: p))
            }
        }
    }

    @Test("notation round trips for every listed move", arguments: Khet.Layout.allCases)
    func roundTrips(layout: Khet.Layout) throws {
        for p in Self.line(layout) {
            for m in S.rules.legalMoves(p) {
                let text = S.rules.notation(m, in: p)
                #expect(try S.rules.parseMove(text, in: p) == m)
                #expect(try S.rules.parseMove(" " + text.uppercased() + " ", in: p) == m)
            }
        }
        let p = S.rules.initialPosition(.init())
        #expect(try S.rules.parseMove("e6-d6", in: p) == .step(from: S.square("e6"), to: S.square("d6")))
        #expect(try S.rules.parseMove("cw g5", in: p) == .turn(S.square("g5"), clockwise: true))
        #expect(try S.rules.parseMove("ccw g5", in: p) == .turn(S.square("g5"), clockwise: false))
        #expect(try S.rules.parseMove("draw", in: p) == .claimDraw)
        for m: Khet.Move in [.step(from: S.square("j8"), to: S.square("i7")), .turn(S.square("a1"), clockwise: false), .claimDraw] {
            #expect(try S.rules.parseMove(S.rules.notation(m, in: p), in: p) == m)
        }
    }

    @Test("text that is not a move", arguments: [
        ("e4", "notation"), ("e4-e6", "notation"), ("e4-e4", "notation"), ("cw", "notation"), ("spin e4", "notation"),
        ("", "notation"), ("e4 e5", "notation"), ("cw e4 e5", "notation"), ("4e-5e", "notation"),
        ("pass", "notation"),  // Khet has no passing: a player always has a move
        ("j1-k1", "off_board"), ("j8-j9", "off_board"), ("cw k5", "off_board"), ("a0-a1", "off_board"),
    ])
    func badText(text: String, rule: String) {
        #expect(S.brokenRule(text, in: S.rules.initialPosition(.init())) == rule)
    }

    /// Silver: sphinx j1, pharaoh e1, anubis c1, scarabs b2 and i2 and j6 and d3, pyramid b3.
    /// Red: sphinx a8, pharaoh f8, pyramids a2 i3 i6 b5, anubis c2, scarabs d2 and a5.
    static let crowd: [String: Khet.Piece] = [
        "j1": .sphinx(0, .north), "e1": .pharaoh(0), "c1": .anubis(0, .north), "b2": .scarab(0, .slash),
        "i2": .scarab(0, .backslash), "j6": .scarab(0, .slash), "d3": .scarab(0, .slash), "b3": .pyramid(0, .northWest),
        "b5": .pyramid(0, .northWest),
        "a8": .sphinx(1, .south), "f8": .pharaoh(1), "a2": .pyramid(1, .southEast), "i3": .pyramid(1, .northEast),
        "i6": .pyramid(1, .northEast), "c2": .anubis(1, .south), "d2": .scarab(1, .slash), "a5": .scarab(1, .slash),
    ]

    @Test("what Silver may and may not do among the crowd", arguments: [
        ("b2-a3", "restricted_square"), ("b2-a2", "restricted_square"), ("i2-i1", "restricted_square"),
        ("j6-i6", "restricted_square"), ("b2-b1", nil), ("c1-b1", nil), ("i2-j2", nil), ("i2-i3", nil), ("b2-c2", nil),
        ("b2-b3", nil), ("b2-c1", nil), ("i2-j1", "bad_swap"), ("d3-d2", "bad_swap"), ("d3-e2", nil), ("i2-h1", nil), ("b3-b2", "occupied"), ("c1-c2", "occupied"),
        ("e1-e2", nil), ("cw e1", "pharaoh_cannot_rotate"), ("ccw e1", "pharaoh_cannot_rotate"),
        ("j1-j2", "sphinx_cannot_move"), ("j1-i1", "sphinx_cannot_move"), ("cw j1", "sphinx_facing"), ("ccw j1", nil),
        ("d5-d6", "no_piece"), ("cw d5", "no_piece"), ("a2-b1", "not_your_piece"), ("ccw i3", "not_your_piece"),
        ("cw b2", nil), ("ccw b2", nil), ("cw c1", nil), ("draw", "no_repetition"),
    ] as [(String, String?)])
    func silverRules(move: String, rule: String?) {
        #expect(S.brokenRule(move, in: S.position(Self.crowd, toMove: 0)) == rule)
    }

    @Test("what Red may and may not do among the crowd", arguments: [
        ("a5-b5", "restricted_square"), ("a5-a4", nil), ("a5-b4", nil), ("c2-b1", "restricted_square"),
        ("d2-c1", nil), ("d2-e1", "bad_swap"), ("d2-d3", "bad_swap"), ("i3-i2", "occupied"), ("i3-j3", "restricted_square"),
        ("i3-i4", nil), ("i6-j7", "restricted_square"), ("f8-e8", nil), ("cw f8", "pharaoh_cannot_rotate"),
        ("a8-b8", "sphinx_cannot_move"), ("cw a8", "sphinx_facing"), ("ccw a8", nil), ("b2-b1", "not_your_piece"),
    ] as [(String, String?)])
    func redRules(move: String, rule: String?) {
        #expect(S.brokenRule(move, in: S.position(Self.crowd, toMove: 1)) == rule)
    }

    @Test("each colour may step onto every square but the other colour's own", arguments: [0, 1])
    func restrictedSquares(seat: Int) throws {
        // README: only Red may enter the a-file, i1 and i8; only Silver the j-file, b1 and b8.
        let onlyRed = Set((1...8).map { "a\($0)" } + ["i1", "i8"])
        let onlySilver = Set((1...8).map { "j\($0)" } + ["b1", "b8"])
        let barred = seat == 0 ? onlyRed : onlySilver
        var refused: Set<String> = []
        for rank in 0..<8 {
            for file in 0..<10 {
                let target = try #require(Khet.Square(file: file, rank: rank))
                let from = try #require(target.neighbour(file < 5 ? 1 : -1, 0))
                let p = Khet.Position(pieces: [from: .anubis(seat, .north)], sideToMove: seat)
                let rule = S.brokenRule("\(from)-\(target)", in: p)
                #expect(rule == nil || rule == "restricted_square")
                if rule != nil { refused.insert(target.name) }
                let listed = S.rules.legalMoves(p).contains(.step(from: from, to: target))
                #expect(listed == (rule == nil))
            }
        }
        #expect(refused == barred)
    }

    @Test("a scarab's swap moves both pieces; the listing offers exactly the allowed swaps")
    func swaps() throws {
        let p = S.position(Self.crowd, toMove: 0)
        let after = try S.rules.apply(notation: "b2-c2", to: p)
        #expect(after[S.square("c2")] == .scarab(0, .slash))
        #expect(after[S.square("b2")] == .anubis(1, .south))
        let listed = Set(S.rules.legalMoves(p).map { S.rules.notation($0, in: p) })
        let swaps = listed.filter { m in
            let ends = m.split(separator: "-")
            return ends.count == 2 && p[S.square(String(ends[1]))] != nil
        }
        // Not i2-j1 (a sphinx), d3-d2 (a scarab), j6-i6 (Red's pyramid may not stand on j6), b2-a2 (a2 is Red's).
        #expect(swaps == ["b2-c1", "b2-c2", "b2-b3", "i2-i3", "d3-c2"])
    }

    @Test("the sphinx turns between its two facings onto the board, and only those")
    func sphinxTurns() throws {
        var p = S.rules.initialPosition(.init())
        #expect(S.rules.legalMoves(p).filter { S.rules.notation($0, in: p).hasSuffix(" j1") } == [.turn(S.square("j1"), clockwise: false)])
        p = try S.play(["ccw j1"], from: p)
        #expect(p[S.square("j1")] == .sphinx(0, .west))
        #expect(S.brokenRule("ccw a8", in: p) == nil)
        #expect(S.brokenRule("cw a8", in: p) == "sphinx_facing")
        p = try S.play(["ccw a8"], from: p)
        #expect(p[S.square("a8")] == .sphinx(1, .east))
        #expect(S.brokenRule("ccw j1", in: p) == "sphinx_facing")
        #expect(S.brokenRule("cw j1", in: p) == nil)
        p = try S.play(["cw j1", "cw a8"], from: p)
        #expect(p[S.square("j1")] == .sphinx(0, .north))
        #expect(p[S.square("a8")] == .sphinx(1, .south))
    }

    @Test("quarter turns go round the compass for pyramids and anubis; a scarab flips either way")
    func turns() throws {
        let p = S.position(["j1": .sphinx(0, .north), "c3": .pyramid(0, .northWest), "d3": .anubis(0, .north), "e3": .scarab(0, .slash)])
        let cw = try S.play(["cw c3"], from: p)[S.square("c3")]
        #expect(cw == .pyramid(0, .northEast))
        #expect(try S.play(["ccw c3"], from: p)[S.square("c3")] == .pyramid(0, .southWest))
        #expect(try S.play(["cw d3"], from: p)[S.square("d3")] == .anubis(0, .east))
        #expect(try S.play(["ccw d3"], from: p)[S.square("d3")] == .anubis(0, .west))
        #expect(try S.play(["cw e3"], from: p)[S.square("e3")] == .scarab(0, .backslash))
        #expect(try S.play(["ccw e3"], from: p)[S.square("e3")] == .scarab(0, .backslash))
    }
}
