import PlyJSON
import PlyRules
import Testing

/// A recorded game replayed through the rules, with `pass` put in where the rules force
/// one (published transcripts leave passes out).
struct ReversiReplay {
    var positions: [ReversiPosition] = [.start]
    var moves: [String] = []
    /// Indexes into `moves` of the passes put in.
    var passes: [Int] = []
    var final: ReversiPosition { positions[positions.count - 1] }

    init(_ published: [String], rules: Reversi = Reversi()) throws(RuleError) {
        for text in published {
            if rules.legalMoves(final) == [.pass] {
                passes.append(moves.count)
                try play("pass", rules)
            }
            try play(text, rules)
        }
    }

    private mutating func play(_ text: String, _ rules: Reversi) throws(RuleError) {
        positions.append(try rules.apply(notation: text, to: final))
        moves.append(text)
    }
}

@Suite("Reversi recorded games")
struct ReversiGameTests {
    let rules = Reversi()

    @Test(arguments: ReversiVectors.games)
    func replaysToThePublishedScore(game: ReversiVectors.Game) throws {
        let replay = try ReversiReplay(game.moves)
        #expect(replay.moves.count == game.moves.count + replay.passes.count)
        // The game ends with its last move, not before.
        for p in replay.positions.dropLast() { #expect(rules.outcome(p) == .ongoing) }
        #expect(rules.score(replay.final) == ["black": .int(game.blackDiscs), "white": .int(game.whiteDiscs)])
        let expected: Outcome =
            game.blackDiscs == game.whiteDiscs
            ? .draw(reason: "discs") : .win(game.blackDiscs > game.whiteDiscs ? 0 : 1, reason: "discs")
        #expect(rules.outcome(replay.final) == expected)
        #expect(rules.legalMoves(replay.final).isEmpty)
    }

    @Test(arguments: ReversiVectors.games)
    func theErasedStateReplaysTheSameWay(game: ReversiVectors.Game) throws {
        let replay = try ReversiReplay(game.moves)
        var state = try GameState(game: rules, settings: [:])
        for text in replay.moves {
            let (next, notation) = try state.applying(text.uppercased())
            #expect(notation == text)
            state = next
        }
        #expect(state.outcome.isOver)
        #expect(state.score() == rules.score(replay.final))
        #expect(state.describe() == rules.describe(replay.final))
    }

    /// Vecchi-Nicolas, WOC 2017: two forced passes, and the game ends with empty squares.
    @Test func aRealGameWithForcedPassesEndsBeforeTheBoardIsFull() throws {
        let game = ReversiVectors.game("World Othello Championship 2017")
        let replay = try ReversiReplay(game.moves)
        #expect(replay.passes.count == 2)
        for i in replay.passes {
            let before = replay.positions[i]
            #expect(rules.legalMoves(before) == [.pass])
            // The opponent's next square is not the passing side's to take.
            let error = #expect(throws: RuleError.self) { try rules.apply(notation: replay.moves[i + 1], to: before) }
            #expect(error?.rule == "must_pass")
        }
        let final = replay.final
        #expect(final.discs(.black) + final.discs(.white) < 64)
    }

    @Test func theShortestGameEndsAfterNinePliesWithAWipeOut() throws {
        let game = ReversiVectors.game("Shortest possible game")
        let replay = try ReversiReplay(game.moves)
        #expect(replay.moves.count == 9)
        #expect(replay.final.discs(.white) == 0)
        #expect(64 - replay.final.discs(.black) == 51)
        for text in ["pass", "a1", "d3"] {
            let error = #expect(throws: RuleError.self) { try rules.apply(notation: text, to: replay.final) }
            #expect(error?.rule == "game_over", "\(text)")
        }
    }
}
