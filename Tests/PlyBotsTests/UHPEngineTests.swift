import PlyBots
import PlyJSON
import PlyRules
import Testing

@Suite("UHP engine")
struct UHPEngineTests {
    @Test("validmoves equals Mzinga's list in every reference position", arguments: HiveReference.rows())
    func validMoves(_ row: HiveReference.Row) {
        var uhp = UHPEngine()
        let started = uhp.handle("newgame " + row.gameString)
        #expect(started.last == "ok")
        #expect(!started.first!.hasPrefix("err") && !started.first!.hasPrefix("invalidmove"), "\(started)")
        let out = uhp.handle("validmoves")
        #expect(out.count == 2 && out[1] == "ok")
        let (missing, extra) = HiveReference.compare(row, out[0].split(separator: ";").map(String.init))
        #expect(missing == [], "moves we are missing")
        #expect(extra == [], "moves Mzinga does not have")
    }

    @Test func aSessionByHand() {
        var uhp = UHPEngine()
        #expect(UHPEngine.greeting == ["id Ply v\(UHPEngine.version)", "Mosquito;Ladybug;Pillbug", "ok"])
        #expect(uhp.handle("info") == ["id Ply v\(UHPEngine.version)", "Mosquito;Ladybug;Pillbug", "ok"])
        #expect(uhp.handle("play wS1").first!.hasPrefix("err "))
        #expect(uhp.handle("newgame Base+MLP") == ["Base+MLP;NotStarted;White[1]", "ok"])
        #expect(uhp.handle("play wS1") == ["Base+MLP;InProgress;Black[1];wS1", "ok"])
        #expect(uhp.handle("play bG1 -wS1") == ["Base+MLP;InProgress;White[2];wS1;bG1 -wS1", "ok"])
        #expect(uhp.handle("play wQ wS1").first!.hasPrefix("invalidmove "))
        #expect(uhp.handle("pass").first!.hasPrefix("invalidmove "))
        #expect(uhp.handle("play nonsense").first!.hasPrefix("invalidmove "))
        #expect(uhp.handle("undo") == ["Base+MLP;InProgress;Black[1];wS1", "ok"])
        #expect(uhp.handle("undo 5").first!.hasPrefix("err "))
        #expect(uhp.handle("undo 1") == ["Base+MLP;NotStarted;White[1]", "ok"])
        #expect(uhp.handle("options") == ["ok"])
        #expect(uhp.handle("frobnicate").first!.hasPrefix("err "))
        #expect(uhp.handle("newgame Chess").first!.hasPrefix("err "))
        let best = uhp.handle("bestmove depth 1")
        #expect(best.count == 2 && best[1] == "ok")
        #expect(uhp.handle("validmoves")[0].split(separator: ";").contains(Substring(best[0])))
        let timed = uhp.handle("bestmove time 00:00:00.2")
        #expect(timed.count == 2 && !timed[0].hasPrefix("err"))
    }

    @Test func newgameTakesAGameStringAndEndsInAResult() throws {
        // Recorded games, some ending with a queen surrounded on the board, some resigned:
        // the state newgame reports is the rules' outcome of the moves.
        let games = HiveReference.games()
        #expect(!games.isEmpty, "the recorded games are in the vectors")
        var finished = 0
        for game in games {
            var uhp = UHPEngine()
            let out = uhp.handle("newgame " + ([game.gameType, "InProgress", "White[1]"] + game.moves).joined(separator: ";"))
            #expect(out.last == "ok")
            let fields = out[0].split(separator: ";").map(String.init)
            #expect(fields.first == game.gameType, "\(game.file): \(out[0])")
            let expansions = game.gameType.split(separator: "+").dropFirst().joined()
            let outcome = try RulesTool.replay(HiveRules(), settings: ["expansions": .string(expansions)], moves: game.moves).state.outcome
            let expected =
                switch outcome {
                case .win(0, _): "WhiteWins"
                case .win(_, _): "BlackWins"
                case .draw: "Draw"
                case .ongoing: "InProgress"
                }
            if expected != "InProgress" { finished += 1 }
            #expect(fields.count > 1 && fields[1] == expected, "\(game.file): \(out[0])")
        }
        #expect(finished > 0, "some recorded game ends on the board")
    }
}
