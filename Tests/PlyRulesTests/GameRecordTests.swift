import PlyJSON
import PlyRules
import Testing

/// Records written and read back give the same moves, position and result: every recorded
/// game in the vectors, and random games of each game.
@Suite("Game records")
struct GameRecordTests {
    /// Writes, reads back, replays both, and checks that nothing was lost.
    func roundTrip(_ game: RecordedGame, sourceLocation: SourceLocation = #_sourceLocation) throws -> GameRecord {
        let record = try GameRecords.write(game)
        let back = try GameRecords.read(record.text)
        #expect(back.game == game.game, sourceLocation: sourceLocation)
        let rules = try RulesTool.game(game.game)
        let original = try RulesTool.replay(rules, settings: game.settings, moves: game.moves)
        let replayed = try RulesTool.replay(rules, settings: back.settings, moves: back.moves)
        #expect(replayed.state == original.state, "same position", sourceLocation: sourceLocation)
        #expect(replayed.moves == original.moves, sourceLocation: sourceLocation)
        let want = GameRecords.result(of: game, original), got = GameRecords.result(of: back, replayed)
        #expect(got?.winner == want?.winner, "same winner", sourceLocation: sourceLocation)
        #expect((got == nil) == (want == nil), "same finished or not", sourceLocation: sourceLocation)
        // Written again, a record read back is the same text.
        #expect(try GameRecords.write(back).text == record.text, sourceLocation: sourceLocation)
        return record
    }

    @Test("every recorded Hive game", arguments: HiveVectors.games())
    func hiveGames(_ g: HiveVectors.RecordedGame) throws {
        let expansions = String(g.gameType.dropFirst(5))
        let winner: Seat? = g.result == "WhiteWins" ? 0 : g.result == "BlackWins" ? 1 : nil
        let result = g.result == "Draw" || winner != nil ? RecordResult(winner: winner, reason: "resign") : nil
        let game = RecordedGame(
            game: "hive", settings: ["expansions": .string(expansions)], moves: g.moves, players: ["W", "B"], result: result)
        let record = try roundTrip(game)
        #expect(record.format == "uhp")
        #expect(record.text.hasPrefix(g.gameType + ";"))
        // The rules' own reader takes it as a GameString too.
        let p = try HiveRules.position(gameString: record.text)
        #expect(p.plyCount == g.moves.count)
    }

    @Test("every recorded Reversi game", arguments: ReversiVectors.games)
    func reversiGames(_ g: ReversiVectors.Game) throws {
        let replay = try ReversiReplay(g.moves)
        let game = RecordedGame(game: "reversi", moves: replay.moves, players: [g.black, g.white], date: "2017-11-05")
        let record = try roundTrip(game)
        #expect(record.format == "ggf")
        #expect(record.text.hasPrefix("(;GM[Othello]"))
        let diff = g.blackDiscs - g.whiteDiscs
        let sign = diff > 0 ? "+" : diff < 0 ? "-" : ""
        #expect(record.text.contains("RE[\(sign)\(abs(diff)).000]"), "the published score: \(record.text)")
    }

    @Test("random games of every game", arguments: ["reversi", "hive", "khet"])
    func randomGames(_ id: String) throws {
        var random = SeededRandom(seed: 22)
        let rules = try RulesTool.game(id)
        let settingsChoices: [JSONObject] =
            switch id {
            case "hive": [["expansions": "MLP"], ["expansions": ""], ["expansions": "P"]]
            case "khet": [["layout": "classic"], ["layout": "imhotep"], ["layout": "dynasty"]]
            default: [[:]]
            }
        for i in 0..<12 {
            let settings = settingsChoices[i % settingsChoices.count]
            var state = try GameState(game: rules, settings: settings)
            var moves: [String] = []
            let length = Int(random.next() % 120)
            while moves.count < length, let m = state.legalMoves().randomElement(using: &random) {
                moves.append(m)
                state = try state.applying(m).state
            }
            let result: RecordResult? =
                state.outcome.isOver ? nil : (i % 3 == 0 ? RecordResult(winner: i % 2, reason: "resign") : nil)
            _ = try roundTrip(RecordedGame(game: id, settings: settings, moves: moves, players: ["Ann", "Bo"], result: result))
        }
    }

    @Test func reversiGGFReadsPassesAndTimesAndResignations() throws {
        let text = "(;GM[Othello]PC[GGS/os]DT[2003.12.15_13:24:03.MST]PB[a]PW[b]RE[-64.000:r]TI[05:00//02:00]TY[8]"
            + "BO[8 -------- -------- -------- ---O*--- ---*O--- -------- -------- -------- *]B[f5//1.2]W[D6]B[c3/0.1];)"
        let g = try GameRecords.read(text)
        #expect(g.moves == ["f5", "d6", "c3"])
        #expect(g.players == ["a", "b"])
        #expect(g.result == RecordResult(winner: 1, reason: "resign"))
        let (replay, result, _) = try RulesTool.replay(record: text)
        let line = RulesTool.summary(replay, result: result)
        #expect(line["status"] == "finished")
        #expect(line["result"] == ["winner": "white", "reason": "resign"])
    }

    @Test func khetRecordIsTaggedAndNumbered() throws {
        let record = try RulesTool.record(game: "khet", settings: #"{"layout":"classic"}"#, moves: "d1-d2;cw h8")
        #expect(record.format == "ply-khet")
        #expect(record.text.contains("[Layout \"classic\"]\n"))
        #expect(record.text.contains("[Result \"*\"]\n"))
        #expect(record.text.hasSuffix("\n1. d1-d2\n2. cw h8\n"))
    }

    @Test("records that do not replay are refused", arguments: [
        "Base;InProgress;White[2];wS1;bS1 wS1-;wQ -bS1",
        "Chess;InProgress;White[1]",
        "(;GM[Chess];)",
        "(;GM[Othello]B[A1];)",
        "[Game \"khet\"]\n\n1. a1-a2\n",
        "[Game \"go\"]\n",
    ])
    func refused(_ text: String) {
        #expect(throws: RuleError.self) { try GameRecords.read(text) }
    }

    @Test func recordFromAMatchAsMATCHShowsIt() throws {
        let match: JSONObject = [
            "match": "m1", "game": "hive", "status": "finished",
            "settings": ["side": "random", "turn_seconds": 60, "rated": true, "expansions": "MLP"],
            "players": [["player": "p1", "name": "Ann", "side": "white"], ["player": "p2", "name": "Bo", "side": "black"]],
            "moves": ["wS1", "bG1 -wS1"], "result": ["winner": "p2", "reason": "resign"], "created_at": "2026-01-01T00:00:00Z",
        ]
        let record = try GameRecords.write(GameRecords.recordedGame(match: match))
        #expect(record.text == "Base+MLP;BlackWins;White[2];wS1;bG1 -wS1")
    }
}
