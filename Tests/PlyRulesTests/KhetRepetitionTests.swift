import PlyJSON
import PlyRules
import Testing

@Suite("Khet repetition")
struct KhetRepetitionTests {
    typealias S = KhetSupport

    /// What repetition compares, counted here without the position's own history.
    struct Key: Hashable {
        var pieces: [Khet.Square: Khet.Piece]
        var toMove: Int
    }

    @Test("draw is offered exactly when a position stands for the third time, and ends the game")
    func threefold() throws {
        let cycle = ["cw c1", "cw h8", "ccw c1", "ccw h8"]
        var p = S.rules.initialPosition(.init())
        var counts: [Key: Int] = [Key(pieces: p.pieces, toMove: 0): 1]
        var firstOffer: Int?
        for ply in 0..<12 {
            let count = counts[Key(pieces: p.pieces, toMove: p.sideToMove)]!
            let listed = S.rules.legalMoves(p).map { S.rules.notation($0, in: p) }
            #expect(listed.contains("draw") == (count >= 3), "ply \(ply)")
            #expect(S.brokenRule("draw", in: p) == (count >= 3 ? nil : "no_repetition"))
            if count >= 3, firstOffer == nil { firstOffer = ply }
            p = try S.rules.apply(notation: cycle[ply % 4], to: p)
            counts[Key(pieces: p.pieces, toMove: p.sideToMove), default: 0] += 1
        }
        // The start stands for the third time after two rounds of the cycle.
        #expect(firstOffer == 8)
        #expect(p.repetitions == 4)
        let drawn = try S.rules.apply(notation: "draw", to: p)
        #expect(S.rules.outcome(drawn) == .draw(reason: "repetition"))
        #expect(S.rules.legalMoves(drawn).isEmpty)
        #expect(S.brokenRule("cw c1", in: drawn) == "game_over")
        #expect(S.brokenRule("draw", in: drawn) == "game_over")
    }

    @Test("the type-erased state claims the draw in notation")
    func throughGameState() throws {
        var state = try GameState(game: S.rules, settings: ["layout": "dynasty"])
        for _ in 0..<2 {
            for m in ["cw d1", "cw g8", "ccw d1", "ccw g8"] { state = try state.applying(m).state }
        }
        #expect(state.legalMoves().last == "draw")
        let (end, text) = try state.applying("DRAW")
        #expect(text == "draw")
        #expect(end.outcome == .draw(reason: "repetition"))
    }
}
