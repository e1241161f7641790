import PlyJSON
import PlyRules
import Testing

/// A tiny game with extras, to see `ply replay` append them: players take 1 or 2 from a
/// pile of `pile` stones; whoever takes the last one wins.
struct TakeAway: GameRules {
    struct Settings: Hashable, Sendable { var pile = 5 }
    struct Position: Hashable, Sendable {
        var left: Int
        var toMove: Seat
        var last: Int?
    }
    var id: String { "takeaway" }
    var name: String { "Take-away" }
    var seatNames: [String] { ["first", "second"] }
    var defaultSettings: Settings { Settings() }
    func settings(from json: JSONObject) throws(SettingsError) -> Settings {
        _ = try SettingsReader(json, game: id, allowed: ["pile"])
        guard let v = json["pile"] else { return Settings() }
        guard let n = v.intValue, n > 0 else { throw SettingsError("pile must be a positive integer") }
        return Settings(pile: n)
    }
    func json(_ settings: Settings) -> JSONObject { ["pile": .int(settings.pile)] }
    func initialPosition(_ settings: Settings) -> Position { Position(left: settings.pile, toMove: 0) }
    func sideToMove(_ p: Position) -> Seat { p.toMove }
    func outcome(_ p: Position) -> Outcome { p.left == 0 ? .win(1 - p.toMove, reason: "last stone") : .ongoing }
    func legalMoves(_ p: Position) -> [Int] { p.left == 0 ? [] : Array(1...min(2, p.left)) }
    func apply(_ move: Int, to p: Position) throws(RuleError) -> Position {
        guard p.left > 0 else { throw RuleError("game_over", "no stones left") }
        guard legalMoves(p).contains(move) else { throw RuleError("too_many", "take 1 or 2, at most what is left") }
        return Position(left: p.left - move, toMove: 1 - p.toMove, last: move)
    }
    func parseMove(_ text: String, in p: Position) throws(RuleError) -> Int {
        guard let n = Int(text) else { throw RuleError("notation", "a move is a number") }
        return n
    }
    func notation(_ move: Int, in p: Position) -> String { String(move) }
    func score(_ p: Position) -> JSONObject { ["left": .int(p.left)] }
    func extras(_ p: Position) -> JSONObject { ["last_take": p.last.map { .int($0) } ?? .null] }
    func describe(_ p: Position) -> String { "\(p.left) left" }
}

@Suite("Rules command-line tools")
struct RulesToolTests {
    @Test(arguments: [
        ("f5;d6;c3", ["f5", "d6", "c3"]),
        (" f5 ; d6 ;; c3 ;", ["f5", "d6", "c3"]),
        ("", []),
        (" ; ;", []),
        ("wS1;bG1 -wS1; wB1 wS1/", ["wS1", "bG1 -wS1", "wB1 wS1/"]),
        ("pass", ["pass"]),
    ])
    func moveLists(text: String, moves: [String]) {
        #expect(RulesTool.moveList(text) == moves)
    }

    @Test func settingsText() throws {
        #expect(try RulesTool.settings(nil) == [:])
        #expect(try RulesTool.settings("  ") == [:])
        #expect(try RulesTool.settings(#"{"pile": 7, "x": [1]}"#) == ["pile": 7, "x": [1]])
        for bad in ["{", "[1]", "7", #"{"a":1,"a":2}"#] {
            let error = #expect(throws: RulesTool.Failure.self) { try RulesTool.settings(bad) }
            guard case .badSettings = error else {
                Issue.record("\(bad): \(String(describing: error))")
                continue
            }
        }
    }

    @Test func unknownGameNamesTheGames() {
        let catalog: [any GameRules] = [Reversi(), TakeAway()]
        let error = #expect(throws: RulesTool.Failure.self) { try RulesTool.game("chess", in: catalog) }
        #expect(error == .unknownGame("chess", known: ["reversi", "takeaway"]))
        #expect(error?.description.contains("reversi, takeaway") == true)
        #expect((try? RulesTool.game("takeaway", in: catalog))?.name == "Take-away")
        #expect((try? RulesTool.game("reversi"))?.id == "reversi")
    }

    @Test func anActiveGameLine() throws {
        let replay = try RulesTool.replay(game: "reversi", settings: nil, moves: "F5; d6; c3")
        #expect(replay.ply == 3)
        #expect(replay.moves == ["f5", "d6", "c3"])
        // f5 turns e5, d6 turns d5, c3 turns d4: black 5, white 2.
        #expect(
            RulesTool.summaryLine(replay)
                == #"{"status":"active","ply":3,"to_move":"white","result":null,"score":{"black":5,"white":2}}"#)
    }

    @Test func theRecordedFinalEndsAsPublished() throws {
        let game = ReversiVectors.game("World Othello Championship 2007")
        let replay = try RulesTool.replay(game: "reversi", settings: "{}", moves: game.moves.joined(separator: ";"))
        #expect(
            RulesTool.summaryLine(replay)
                == #"{"status":"finished","ply":60,"to_move":null,"result":{"winner":"black","reason":"discs"},"score":{"black":35,"white":29}}"#
        )
    }

    @Test func aDrawHasNoWinner() throws {
        let game = ReversiVectors.game("U.S. Open 2019")
        let replay = try RulesTool.replay(game: "reversi", settings: nil, moves: game.moves.joined(separator: ";"))
        let line = RulesTool.summary(replay)
        #expect(line["result"] == ["winner": nil, "reason": "discs"])
        #expect(line["score"] == ["black": 32, "white": 32])
    }

    @Test func extrasFollowTheScore() throws {
        let game = TakeAway()
        let replay = try RulesTool.replay(game, settings: ["pile": 4], moves: ["2", "1"])
        #expect(
            RulesTool.summaryLine(replay)
                == #"{"status":"active","ply":2,"to_move":"first","result":null,"score":{"left":1},"last_take":1}"#)
        let end = try RulesTool.replay(game, settings: ["pile": 4], moves: ["2", "1", "1"])
        #expect(
            RulesTool.summaryLine(end)
                == #"{"status":"finished","ply":3,"to_move":null,"result":{"winner":"first","reason":"last stone"},"score":{"left":0},"last_take":1}"#
        )
    }

    @Test func anIllegalMoveNamesItsPlyTextAndRule() {
        let error = #expect(throws: RulesTool.Failure.self) {
            try RulesTool.replay(game: "reversi", settings: nil, moves: "f5;d6;F5")
        }
        guard case .illegalMove(let ply, let move, let rule) = error else {
            Issue.record("expected an illegal move, got \(String(describing: error))")
            return
        }
        #expect(ply == 3)
        #expect(move == "F5")
        #expect(rule.rule == "occupied")
        let text = String(describing: error!)
        #expect(text.hasPrefix("ply 3: \"F5\""))
        #expect(text.contains("occupied"))
        #expect(text.contains(rule.message))
    }

    @Test(arguments: [("pass", 1, "pass_not_allowed"), ("f5;e9", 2, "notation"), ("f5;a1", 2, "no_flip")])
    func eachRefusalIsReported(moves: String, ply: Int, rule: String) {
        let error = #expect(throws: RulesTool.Failure.self) {
            try RulesTool.legal(game: "reversi", settings: nil, moves: moves)
        }
        guard case .illegalMove(let p, _, let r) = error else {
            Issue.record("expected an illegal move, got \(String(describing: error))")
            return
        }
        #expect(p == ply)
        #expect(r.rule == rule)
    }

    @Test func badSettingsAreReportedNotIgnored() {
        let error = #expect(throws: RulesTool.Failure.self) {
            try RulesTool.legal(game: "reversi", settings: #"{"side":"first"}"#, moves: nil)
        }
        guard case .badSettings(let message) = error else {
            Issue.record("expected bad settings, got \(String(describing: error))")
            return
        }
        #expect(message.contains("side"))
    }

    @Test func legalAndPerftAfterMoves() throws {
        #expect(Set(try RulesTool.legal(game: "reversi", settings: nil, moves: nil)) == ["c4", "d3", "e6", "f5"])
        let after = try RulesTool.legal(game: "reversi", settings: nil, moves: "f5")
        let state = try RulesTool.replay(game: "reversi", settings: nil, moves: "f5").state
        #expect(after == state.legalMoves())
        #expect(try RulesTool.perft(game: "reversi", settings: nil, moves: "f5", depth: 1) == after.count)
        // The four openings are symmetric, so each holds a quarter of the tree.
        let row = try #require(ReversiVectors.perft.first { $0.depth == 6 })
        #expect(try RulesTool.perft(game: "reversi", settings: nil, moves: "f5", depth: 5) * 4 == row.nodes)
        #expect(try RulesTool.perft(game: "reversi", settings: nil, moves: nil, depth: 0) == 1)
        #expect(throws: RulesTool.Failure.badDepth(-1)) {
            try RulesTool.perft(game: "reversi", settings: nil, moves: nil, depth: -1)
        }
    }
}
