import PlyJSON
import PlyRules
import Testing

@Suite("Reversi rules")
struct ReversiTests {
    let rules = Reversi()

    func position(after moves: [String], from start: ReversiPosition = .start) throws(RuleError) -> ReversiPosition {
        var p = start
        for m in moves { p = try rules.apply(notation: m, to: p) }
        return p
    }

    func refusal(_ text: String, in p: ReversiPosition) -> String? {
        do {
            _ = try rules.apply(notation: text, to: p)
            return nil
        } catch {
            return error.rule
        }
    }

    /// Discs by picture: one line per rank, rank 1 first; "" is an empty rank.
    func board(_ ranks: String..., toMove: ReversiColour) throws -> ReversiPosition {
        let picture = ranks.map { $0.isEmpty ? "........" : $0 }.joined(separator: "\n")
        return try #require(ReversiPosition(board: picture, toMove: toMove))
    }

    @Test func identity() {
        #expect(rules.id == "reversi")
        #expect(rules.name == "Reversi")
        #expect(rules.seatNames == ["black", "white"])
        #expect(GameCatalog.game("reversi")?.name == "Reversi")
    }

    @Test func startIsD4E5WhiteAndD5E4BlackWithBlackToMove() throws {
        let p = rules.initialPosition(rules.defaultSettings)
        #expect(p[try #require(ReversiSquare("d4"))] == .white)
        #expect(p[try #require(ReversiSquare("e5"))] == .white)
        #expect(p[try #require(ReversiSquare("d5"))] == .black)
        #expect(p[try #require(ReversiSquare("e4"))] == .black)
        #expect(p.discs(.black) == 2 && p.discs(.white) == 2)
        #expect(rules.sideToMove(p) == 0)
        #expect(rules.outcome(p) == .ongoing)
        let picture = """
            ........
            ........
            ........
            ...ox...
            ...xo...
            ........
            ........
            ........
            black to move
            """
        #expect(rules.describe(p) == picture)
    }

    @Test func a1IsTopLeftAndA8BottomLeft() throws {
        let a1 = try #require(ReversiSquare("a1"))
        let h1 = try #require(ReversiSquare("h1"))
        let a8 = try #require(ReversiSquare("a8"))
        #expect((a1.index, a1.file, a1.rank) == (0, 0, 1))
        #expect((h1.index, h1.file, h1.rank) == (7, 7, 1))
        #expect((a8.index, a8.file, a8.rank) == (56, 0, 8))
        // The first line of the picture is rank 1.
        let p = try board("x.......", "", "", "", "", "", "", ".......o", toMove: .black)
        #expect(p[a1] == .black)
        #expect(p[try #require(ReversiSquare("h8"))] == .white)
        #expect(rules.describe(p).hasPrefix("x.......\n"))
    }

    @Test("a square's name is a file a-h (either case) and a rank 1-8, nothing more")
    func squareNames() throws {
        #expect(try #require(ReversiSquare("F5")).index == (try #require(ReversiSquare("f5"))).index)
        #expect(ReversiSquare("h8")?.index == 63)
        for bad in ["", "f", "f55", "f5 ", " f5", "i1", "a9", "a0", "5f", "é1", "f\u{301}5"] {
            #expect(ReversiSquare(bad) == nil, "\(bad)")
        }
    }

    @Test func openingMovesAreC4D3E6F5() {
        let moves = rules.legalMoves(.start).map { rules.notation($0, in: .start) }
        #expect(Set(moves) == ["c4", "d3", "e6", "f5"])
        #expect(moves.count == 4)
    }

    @Test func placingTurnsOverTheFlankedDiscs() throws {
        let p = try position(after: ["f5"])
        #expect(p[try #require(ReversiSquare("e5"))] == .black)
        #expect(rules.score(p) == ["black": 4, "white": 1])
        #expect(rules.sideToMove(p) == 1)
        #expect(rules.describe(p).hasSuffix("...xxx..\n........\n........\n........\nwhite to move"))
        // Every direction at once: a black disc on d4 closes all eight runs of white.
        let star = try board(
            ".x.x.x..",
            "..ooo...",
            ".xo.ox..",
            "..ooo...",
            ".x.x.x..",
            "", "", "", toMove: .black)
        let after = try rules.apply(notation: "d3", to: star)
        #expect(after.discs(.white) == 0)
        #expect(after.discs(.black) == 17)
    }

    @Test(arguments: ReversiSquare.all)
    func squareNotationRoundTrips(square: ReversiSquare) throws {
        let text = rules.notation(.place(square), in: .start)
        #expect(text == square.name)
        #expect(text == text.lowercased())
        #expect(try rules.parseMove(text, in: .start) == .place(square))
        #expect(try rules.parseMove(text.uppercased(), in: .start) == .place(square))
        let file = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(square.file)))
        #expect(text == "\(file)\(square.rank)")
    }

    @Test func the64SquareNamesAreDistinct() {
        #expect(Set(ReversiSquare.all.map(\.name)).count == 64)
    }

    @Test(arguments: ["pass", "PASS", "Pass"])
    func passNotation(text: String) throws {
        #expect(try rules.parseMove(text, in: .start) == .pass)
        #expect(rules.notation(.pass, in: .start) == "pass")
    }

    @Test(arguments: ["", "z9", "i1", "a0", "a9", "f", "f55", "pas", "passe", " f5", "5f", "f-5"])
    func unreadableTextBreaksNotation(text: String) {
        #expect(refusal(text, in: .start) == "notation")
    }

    @Test(arguments: ["d4", "e4", "D5", "e5"])
    func aSquareWithADiscIsOccupied(text: String) {
        #expect(refusal(text, in: .start) == "occupied")
    }

    @Test(arguments: ["a1", "h8", "c3", "f6", "d6"])
    func aDiscThatTurnsNothingOverIsRefused(text: String) {
        #expect(refusal(text, in: .start) == "no_flip")
    }

    /// Rules see no players, so "the wrong side moved" shows up as a square that would
    /// turn discs over only for the colour not on move (the match layer checks the
    /// sender's seat). At the start those are white's squares c5, d6, e3 and f4.
    @Test func aSquareLegalOnlyForTheOtherColourIsNoFlip() {
        var whiteToMove = ReversiPosition.start
        whiteToMove.toMove = .white
        let whites = rules.legalMoves(whiteToMove).map { rules.notation($0, in: whiteToMove) }
        #expect(Set(whites) == ["c5", "d6", "e3", "f4"])
        for square in whites {
            #expect(refusal(square, in: .start) == "no_flip", "black on \(square)")
            #expect(refusal(square, in: whiteToMove) == nil, "white on \(square)")
        }
    }

    @Test func passingWhileASquareIsLegalIsRefused() throws {
        #expect(refusal("pass", in: .start) == "pass_not_allowed")
        #expect(refusal("pass", in: try position(after: ["f5", "d6"])) == "pass_not_allowed")
    }

    @Test func aSideWithNoSquareMustPassThenTheGameEndsEarly() throws {
        // White's b1 can flank nothing (black a1 sits in the corner); black's c1 flanks b1.
        let p = try board("xo......", "", "", "", "", "", "", "", toMove: .white)
        #expect(rules.legalMoves(p) == [.pass])
        #expect(rules.outcome(p) == .ongoing)
        #expect(refusal("c1", in: p) == "must_pass")
        #expect(refusal("a1", in: p) == "occupied")
        let passed = try rules.apply(notation: "pass", to: p)
        #expect(rules.sideToMove(passed) == 0)
        #expect(rules.legalMoves(passed).map { rules.notation($0, in: passed) } == ["c1"])
        let end = try rules.apply(notation: "c1", to: passed)
        #expect(rules.outcome(end) == .win(0, reason: "discs"))
        #expect(rules.score(end) == ["black": 3, "white": 0])
        #expect(rules.legalMoves(end).isEmpty)
        #expect(rules.describe(end).hasSuffix("game over"))
        for text in ["pass", "d1", "a1", "h8"] {
            #expect(refusal(text, in: end) == "game_over", "\(text)")
        }
        // Bad text is still a notation error, even after the end.
        #expect(refusal("zz", in: end) == "notation")
    }

    @Test func equalDiscsAtTheEndIsADrawAndMoreDiscsWin() throws {
        // Nobody can move: no black disc touches a white one.
        let draw = try board("xxxxxxxx", "", "", "", "", "", "", "oooooooo", toMove: .black)
        #expect(rules.legalMoves(draw).isEmpty)
        #expect(rules.outcome(draw) == .draw(reason: "discs"))
        let white = try board("xxxxxxx.", "", "", "", "", "", "", "oooooooo", toMove: .black)
        #expect(rules.legalMoves(white).isEmpty)
        #expect(rules.outcome(white) == .win(1, reason: "discs"))
    }

    @Test func settingsHaveNoFields() throws {
        #expect(try rules.settings(from: [:]) == rules.defaultSettings)
        #expect(rules.json(rules.defaultSettings).isEmpty)
        for field in ["side", "size", "variant"] {
            #expect(throws: SettingsError.self) { try rules.settings(from: [field: "first"]) }
        }
        #expect(throws: SettingsError.self) { try GameState(game: rules, settings: ["size": 10]) }
    }

    @Test func thePictureReadsBack() throws {
        let p = try position(after: ["f5", "d6", "c3", "d3", "c4"])
        let picture = rules.describe(p).split(separator: "\n").prefix(8).joined(separator: "\n")
        #expect(ReversiPosition(board: picture, toMove: p.toMove) == p)
        #expect(ReversiPosition(board: "xo", toMove: .black) == nil)
        #expect(ReversiPosition(board: String(repeating: "?", count: 64), toMove: .black) == nil)
    }

    @Test func playAgreesWithApplyOnEveryLegalMove() throws {
        let game = ReversiVectors.game("World Othello Championship 2007")
        var p = ReversiPosition.start
        for text in game.moves {
            for move in rules.legalMoves(p) {
                #expect(rules.play(move, on: p) == (try rules.apply(move, to: p)))
            }
            p = try rules.apply(notation: text, to: p)
        }
    }
}
