import PlyJSON
import PlyRules
import Testing

@Suite("Khet repetition")
struct KhetRepetitionTests {
    typealias S = KhetSupport
    typealias Key = KhetSupport.RepetitionKey

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

    /// Random games that turn pieces back and forth (so boards repeat) and fire their
    /// lasers (so pieces are captured): the count each position carries equals a count
    /// of the whole history kept beside it.
    @Test("each position counts its repetitions over the whole game, captures included")
    func countsMatchTheWholeHistory() throws {
        var captures = 0, repeats = 0
        for seed in UInt64(1)...6 {
            var random = SeededRandom(seed: seed)
            var p = S.rules.initialPosition(.init())
            var counts: [Key: Int] = [Key(pieces: p.pieces, toMove: 0): 1]
            var played: [String] = []
            for _ in 0..<300 {
                let moves = S.rules.legalMoves(p).filter { S.rules.notation($0, in: p) != "draw" }
                guard !moves.isEmpty else { break }
                // Mostly the mover turns back its own last turn, which brings boards back.
                var m = moves.randomElement(using: &random)!
                if played.count >= 2, random.next() % 4 != 0 {
                    let mine = played[played.count - 2]
                    let back = mine.hasPrefix("cw ") ? "ccw " + mine.dropFirst(3) : mine.hasPrefix("ccw ") ? "cw " + mine.dropFirst(4) : nil
                    if let back, let undo = moves.first(where: { S.rules.notation($0, in: p) == back }) { m = undo }
                }
                played.append(S.rules.notation(m, in: p))
                let before = p.pieces.count
                p = S.rules.play(m, on: p)
                if p.pieces.count < before { captures += 1 }
                counts[Key(pieces: p.pieces, toMove: p.sideToMove), default: 0] += 1
                let expected = counts[Key(pieces: p.pieces, toMove: p.sideToMove)]!
                if expected > 1 { repeats += 1 }
                #expect(p.repetitions == expected)
                if S.rules.outcome(p).isOver { break }
            }
        }
        // The games did what the test is for.
        #expect(captures > 0)
        #expect(repeats > 50)
    }

    /// The history is a chain of boards; a long game's chain is released without
    /// recursing down it (a recursive release of 50,000 nodes overflows a thread's stack).
    @Test("a long game's history is released, and counts stay right")
    func longHistory() throws {
        let cycle = ["cw c1", "cw h8", "ccw c1", "ccw h8"]
        var p: Khet.Position? = S.rules.initialPosition(.init())
        for ply in 0..<50_000 { p = try S.rules.apply(notation: cycle[ply % 4], to: p!) }
        // The start has stood once at the beginning and once after every round of four.
        #expect(p!.repetitions == 12_501)
        p = nil
    }
}
