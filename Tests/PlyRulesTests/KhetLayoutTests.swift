import PlyJSON
import PlyRules
import Testing

@Suite("Khet layouts")
struct KhetLayoutTests {
    typealias S = KhetSupport

    @Test("every square of the initial position matches the README", arguments: Khet.Layout.allCases)
    func initialPieces(layout: Khet.Layout) throws {
        let silver = try S.silverRows(layout.rawValue)
        #expect(silver.count == 13)
        let expected = silver + silver.map(S.redRow)
        let byName = Dictionary(uniqueKeysWithValues: expected.map { ($0.square, $0) })
        #expect(byName.count == 26)

        let position = S.rules.initialPosition(.init(layout: layout))
        var found = 0
        for rank in 0..<8 {
            for file in 0..<10 {
                let square = try #require(Khet.Square(file: file, rank: rank))
                let piece = position[square]
                let want = byName[square.name]
                let got = piece.map { S.Row(square: square.name, owner: $0.owner, kind: S.abbreviation($0.kind), facing: $0.facingName) }
                #expect(got == want, "\(layout) \(square)")
                if got != nil { found += 1 }
            }
        }
        #expect(found == 26)
        #expect(S.rules.sideToMove(position) == 0)
    }

    @Test("settings choose the layout; classic by default; unknown fields refused")
    func settings() throws {
        let rules = S.rules
        #expect(try rules.settings(from: [:]).layout == .classic)
        for layout in Khet.Layout.allCases {
            let s = try rules.settings(from: ["layout": .string(layout.rawValue)])
            #expect(s.layout == layout)
            #expect(rules.json(s) == ["layout": .string(layout.rawValue)])
        }
        #expect(throws: SettingsError.self) { try rules.settings(from: ["layout": "pharaoh"]) }
        #expect(throws: SettingsError.self) { try rules.settings(from: ["layouts": "classic"]) }
        #expect(rules.id == "khet" && rules.name == "Khet 2.0" && rules.seatNames == ["silver", "red"])
        #expect(GameCatalog.game("khet")?.name == "Khet 2.0")
    }

    @Test("neither side's first shot hits anything", arguments: Khet.Layout.allCases, [0, 1])
    func openingShots(layout: Khet.Layout, seat: Int) throws {
        let start = S.rules.initialPosition(.init(layout: layout))
        let shot = start.firing(seat)
        #expect(shot.pieces == start.pieces)
        #expect(S.rules.outcome(shot) == .ongoing)
        let last = try #require(shot.laser.last)
        // The beam stops only on a piece or past the edge: ending on an empty edge square means it left.
        #expect(shot[last] == nil)
        #expect(last.file == 0 || last.file == 9 || last.rank == 0 || last.rank == 7)
    }

    @Test("Silver's classic shot runs j2 to j8 by the mirrors of j4, h4, h5, j5; Red's is its turned copy")
    func classicPaths() throws {
        let start = S.rules.initialPosition(.init(layout: .classic))
        let silverPath = ["j2", "j3", "j4", "i4", "h4", "h5", "i5", "j5", "j6", "j7", "j8"]
        #expect(start.firing(0).laser.map(\.name) == silverPath)
        let red = silverPath.map { S.redRow(.init(square: $0, owner: 0, kind: "Sca", facing: "/")).square }
        #expect(start.firing(1).laser.map(\.name) == red)

        // The game state shows the path of the shot after the first move, and none before.
        var state = try GameState(game: S.rules, settings: [:])
        #expect(state.extras() == ["laser": .array([])])
        #expect(state.score() == ["silver": 13, "red": 13])
        state = try state.applying("cw c1").state
        #expect(state.extras() == ["laser": .array(silverPath.map { .string($0) })])
        #expect(state.describe().contains("red to move"))
    }

    @Test("the picture shows every piece in its square")
    func picture() {
        let start = S.rules.initialPosition(.init(layout: .classic))
        let lines = S.rules.describe(start).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // Rank 1 is the ninth line: the header, then ranks 8 down to 1.
        #expect(lines[8] == ["1", ".", ".", "PNW", "AN", "H", "AN", ".", ".", ".", "XN"])
        #expect(lines[1] == ["8", "xS", ".", ".", ".", "aS", "h", "aS", "pSE", ".", "."])
    }
}
