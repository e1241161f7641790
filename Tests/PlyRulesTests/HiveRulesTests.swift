import PlyJSON
import PlyRules
import Testing

@Suite("Hive")
struct HiveRulesTests {
    let rules = HiveRules()

    func position(_ gameString: String) throws -> HivePosition {
        try HiveRules.position(gameString: gameString)
    }

    func printedMoves(_ p: HivePosition) -> [String] {
        rules.legalMoves(p).map { rules.notation($0, in: p) }
    }

    // MARK: Perft

    @Test("Perft from Mzinga's tables", arguments: HiveVectors.perftRows(maxDepth: 6))
    func perft(_ row: HiveVectors.PerftRow) throws {
        #expect(rules.perft(try position(row.gameString), depth: row.depth) == row.nodes)
    }

    @Test func referenceFilesAreRead() {
        // Every game type through depth 6, plus the recorded games and move lists.
        #expect(HiveVectors.perftRows(maxDepth: 6).count == 8 * 7)
        // 195 positions from real games, 10 from the per-bug files (3 of them for the spider).
        #expect(HiveVectors.validMovesRows().count == 195 + 10)
        #expect(HiveVectors.invalidMoveRows().count == 24)
        #expect(HiveVectors.games().count == 19)
    }

    /// The public path (legalMoves and play on values) counts the same as the fast perft.
    @Test(arguments: ["Base+MLP;NotStarted;White[1]"] + HiveVectors.validMovesRows().dropFirst(100).prefix(1).map(\.gameString))
    func perftThroughValues(_ gameString: String) throws {
        func count(_ p: HivePosition, _ depth: Int) -> Int {
            if depth == 0 { return 1 }
            let moves = rules.legalMoves(p)
            if moves.isEmpty { return 1 }
            return moves.reduce(0) { $0 + count(rules.play($1, on: p), depth - 1) }
        }
        let start = try position(gameString)
        #expect(count(start, 3) == rules.perft(start, depth: 3))
    }

    // MARK: Legal move sets

    /// Positions from real games list every legal move. The per-bug files list the moves
    /// of the pieces they are about; for those pieces the lists must match exactly too.
    @Test("Legal moves equal Mzinga's lists", arguments: HiveVectors.validMovesRows())
    func validMoves(_ row: HiveVectors.ValidMovesRow) throws {
        let p = try position(row.gameString)
        let printed = printedMoves(p)
        #expect(printed.count == Set(printed).count, "a move is listed twice")
        let theirs = Set(row.moves)
        var ours = Set(printed)
        if !row.file.contains("RealGames") {
            let pieces = Set(row.moves.map { $0.prefix { $0 != " " } })
            ours = ours.filter { pieces.contains($0.prefix { $0 != " " }) }
        }
        #expect(ours.subtracting(theirs).sorted() == [], "moves Mzinga does not have")
        #expect(theirs.subtracting(ours).sorted() == [], "moves we are missing")
    }

    /// Every printed move reads back as itself, and every other piece next to the
    /// destination can serve as the reference, from exactly one side.
    @Test("Notation round trip", arguments: HiveVectors.validMovesRows().filter { $0.file.contains("RealGames") })
    func notationRoundTrip(_ row: HiveVectors.ValidMovesRow) throws {
        let p = try position(row.gameString)
        let pieces = ["Q", "S1", "S2", "B1", "B2", "G1", "G2", "G3", "A1", "A2", "A3", "M", "L", "P"]
            .flatMap { ["w" + $0, "b" + $0] }
        for move in rules.legalMoves(p) {
            let text = rules.notation(move, in: p)
            #expect(try rules.parseMove(text, in: p) == move, "\(text)")
            let parts = text.split(separator: " ")
            guard parts.count == 2 else { continue }
            let mover = String(parts[0])
            var references = 0
            for ref in pieces {
                let spellings = ["-\(ref)", "/\(ref)", "\\\(ref)", "\(ref)-", "\(ref)/", "\(ref)\\"]
                let hits = spellings.filter { (try? rules.parseMove("\(mover) \($0)", in: p)) == move }
                #expect(hits.count <= 1, "\(ref) names the destination of \(text) from two sides")
                references += hits.count
            }
            if !parts[1].hasSuffix("-") && !parts[1].hasSuffix("/") && !parts[1].hasSuffix("\\")
                && !parts[1].hasPrefix("-") && !parts[1].hasPrefix("/") && !parts[1].hasPrefix("\\") {
                continue  // a climb: its one reference is the stack it lands on
            }
            #expect(references >= 1, "\(text)")
        }
    }

    @Test func anyNeighbourMayBeTheReference() throws {
        let p = try position("Base;InProgress;White[3];wS1;bS1 wS1-;wQ \\wS1;bQ bS1/")
        let printed = try rules.parseMove("wQ -bQ", in: p)
        #expect(printedMoves(p).contains("wQ -bQ"))
        for text in ["wQ wS1/", "wQ \\bS1", "wQ wQ-", "WQ -BQ"] {
            #expect(try rules.parseMove(text, in: p) == printed, "\(text)")
        }
        #expect(try rules.parseMove("wQ bS1/", in: p) != printed)
    }

    @Test func beetleOnTopIsWrittenWithThePieceBeneath() throws {
        let p = try position("Base;InProgress;White[4];wS1;bS1 wS1-;wQ -wS1;bQ bS1-;wB1 \\wS1;bB1 bS1/")
        let moves = printedMoves(p)
        #expect(moves.contains("wB1 wS1"))
        #expect(moves.contains("wB1 wQ"))
        let climbed = try rules.apply(notation: "wB1 wS1", to: p)
        let next = try rules.apply(notation: "bB1 bS1", to: climbed)
        // The white beetle on top moves like a beetle; stepping down it is named by a neighbour.
        let down = printedMoves(next).filter { $0.hasPrefix("wB1") }
        #expect(down.contains("wB1 wQ"))
        #expect(down.contains("wB1 bB1"))
        // The spider beneath is covered.
        #expect(throws: RuleError.self) { try rules.apply(notation: "wS1 /wQ", to: next) }
        #expect(rules.describe(next).contains("wB1 on wS1"))
    }

    // MARK: Illegal moves

    @Test("Illegal moves name Mzinga's rule", arguments: HiveVectors.invalidMoveRows())
    func invalidMove(_ row: HiveVectors.InvalidMoveRow) throws {
        let rule = try #require(HiveVectors.ruleForReason[row.reason], "unmapped reason \(row.reason)")
        let p = try position(row.gameString)
        let error = #expect(throws: RuleError.self) { try rules.apply(notation: row.move, to: p) }
        #expect(error?.rule == rule, "\(error?.description ?? "")")
    }

    @Test(arguments: ["", "wX1", "wS3", "wQ1", "wS1 -", "wS1 x-bS1", "wS1 bS1 bQ", "pass wS1"])
    func badNotation(_ text: String) throws {
        let p = try position("Base;InProgress;White[2];wS1;bS1 wS1-")
        let error = #expect(throws: RuleError.self) { try rules.parseMove(text, in: p) }
        #expect(error?.rule == "notation")
    }

    @Test func referenceMustBeOnTheBoard() throws {
        let p = try position("Base;InProgress;White[2];wS1;bS1 wS1-")
        let error = #expect(throws: RuleError.self) { try rules.parseMove("wQ -bQ", in: p) }
        #expect(error?.rule == "notation")
    }

    @Test func placementMustNotTouchTheOpponent() throws {
        let p = try position("Base;InProgress;White[2];wS1;bS1 wS1-")
        for text in ["wQ bS1-", "wQ wS1"] {
            let error = #expect(throws: RuleError.self) { try rules.apply(notation: text, to: p) }
            #expect(error?.rule == "placement", "\(text)")
        }
    }

    @Test func pillbugMovesAndTheMovedPieceRests() throws {
        let opening = "Base+P;InProgress;White[1];wP;bS1 wP-;wQ -wP;bQ bS1-;wA1 -wQ;bA1 bQ-;wG1 -wA1;bA1 \\wP"
        // The pillbug may not lift the piece its opponent has just moved.
        var p = try position(opening)
        #expect(!printedMoves(p).contains { $0.hasPrefix("bA1") })
        p = try position(opening + ";wG2 -wG1;bQ bS1\\")
        // Now it may: black's ant goes over white's pillbug to a hex no ant move of white's could reach.
        let lift = "bA1 \\bS1"
        #expect(printedMoves(p).contains(lift))
        p = try rules.apply(notation: "bA1 wP/", to: p)
        #expect(rules.sideToMove(p) == 1)
        #expect(!printedMoves(p).contains { $0.hasPrefix("bA1") })
        let error = #expect(throws: RuleError.self) { try rules.apply(notation: "bA1 bQ-", to: p) }
        #expect(error?.rule == "just_moved")
    }

    // MARK: Recorded games

    /// Recorded games that ended off the board, by resignation, time or agreement: in each
    /// final position neither queen is surrounded (their neighbours, white and black, are
    /// given). The records do not say how a game ended, so these are named here; every
    /// other record's result must be reached on the board.
    static let endedOffTheBoard: Set<String> = [
        "HV-Dumbot-guest-2018-10-31-1402.pgn",  // Draw; 5 and 4
        "T_HV-Jewdoka-Quodlibet-2020-12-08-2330.pgn",  // Draw; 1 and 3
        "U_HV-kkurtonis-RINGERSOLL-2013-05-22-1657.pgn",  // WhiteWins; 5 and 4
    ]

    @Test("Recorded games replay", arguments: HiveVectors.games())
    func recordedGame(_ game: HiveVectors.RecordedGame) throws {
        var p = try position(game.gameType + ";NotStarted;White[1]")
        #expect(!game.moves.isEmpty)
        for (i, text) in game.moves.enumerated() {
            #expect(!rules.outcome(p).isOver, "move \(i + 1) after the end")
            let move = try rules.parseMove(text, in: p)
            #expect(rules.legalMoves(p).contains(move), "move \(i + 1): \(text)")
            p = try rules.apply(move, to: p)
        }
        let outcome = rules.outcome(p)
        switch outcome {
        case .ongoing:
            // A record that says the game ended, and not off the board: the rules missed the ending.
            let recordSaysEnded = ["WhiteWins", "BlackWins", "Draw"].contains(game.result)
            #expect(
                !recordSaysEnded || Self.endedOffTheBoard.contains(game.file),
                "the record says \(game.result), but the rules see no ending")
        case .win(let seat, _): #expect(game.result == (seat == 0 ? "WhiteWins" : "BlackWins"))
        case .draw: #expect(game.result == "Draw")
        }
        if Self.endedOffTheBoard.contains(game.file) {
            #expect(outcome == .ongoing, "listed as ended off the board, but the rules end it on the board")
        }
    }

    @Test func finishedGameHasNoMoves() throws {
        let p = try position(
            "Base;BlackWins;White[7];wS1;bS1 wS1-;wQ \\wS1;bQ bS1/;wG1 -wQ;bG1 bQ-;wA1 wG1\\;bA1 bQ\\;wA2 \\wQ;bA2 \\bG1;wG2 wQ/;bG1 wG2\\")
        #expect(rules.outcome(p) == .win(1, reason: "surrounded"))
        #expect(rules.legalMoves(p).isEmpty)
        #expect(rules.perft(p, depth: 3) == 1)
    }

    // MARK: Settings and the catalogue

    @Test func settings() throws {
        #expect(try rules.settings(from: [:]) == HiveSettings())
        for letters in ["", "M", "L", "P", "ML", "MP", "LP", "MLP"] {
            let s = try rules.settings(from: ["expansions": .string(letters)])
            #expect(rules.json(s) == ["expansions": .string(letters)])
            #expect(s.expansions.gameType == (letters.isEmpty ? "Base" : "Base+" + letters))
        }
        #expect(throws: SettingsError.self) { try rules.settings(from: ["expansions": "PLM"]) }
        #expect(throws: SettingsError.self) { try rules.settings(from: ["expansions": 3]) }
        #expect(throws: SettingsError.self) { try rules.settings(from: ["variant": "MLP"]) }
    }

    @Test func catalogueAndGameState() throws {
        let game = try #require(GameCatalog.game("hive"))
        var state = try GameState(game: game, settings: ["expansions": "MLP"])
        #expect(state.seatNames == ["white", "black"])
        #expect(Set(state.legalMoves()) == ["wS1", "wB1", "wG1", "wA1", "wM", "wL", "wP"])
        #expect(throws: RuleError.self) { try state.applying("wQ") }
        var printed: String
        (state, printed) = try state.applying("ws1")
        #expect(printed == "wS1")
        (state, printed) = try state.applying("bG1 -wS1")
        #expect(printed == "bG1 -wS1")
        #expect(state.sideToMove == 0)
        #expect(state.perft(depth: 2) == rules.perft(try position("Base+MLP;InProgress;White[2];wS1;bG1 -wS1"), depth: 2))
        #expect(state.score()["white"] == ["queen_neighbours": 0, "in_hand": 13])
    }
}
