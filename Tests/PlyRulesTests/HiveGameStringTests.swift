import Foundation
import PlyRules
import Testing

/// Every Mzinga GameString in the reference data states its BoardState and Turn
/// (`Base+M;InProgress;Black[4];...`). The rules replay only the moves; what they arrive at
/// must be what the string says: whose turn it is, which turn, and whether (and how) the
/// game is over.
@Suite struct HiveGameStringTests {
    static let gameStrings: [String] = {
        var seen = Set<String>()
        // Of the invalid-move rows, those headed `NotStarted` are left out: some are
        // placeholders with moves after them (`Base;NotStarted;White[1];wS1`), as those tests
        // are about the move that follows.
        let all = HiveVectors.perftRows(maxDepth: 8).map(\.gameString)
            + HiveVectors.validMovesRows().map(\.gameString)
            + HiveVectors.invalidMoveRows().map(\.gameString).filter { !$0.contains(";NotStarted;") }
        return all.filter { seen.insert($0).inserted }
    }()

    @Test func theDataHasEveryKindOfState() {
        let states = Set(Self.gameStrings.map { $0.split(separator: ";", omittingEmptySubsequences: false)[1] })
        #expect(states == ["NotStarted", "InProgress", "WhiteWins", "BlackWins"], "\(states)")
        #expect(Self.gameStrings.count > 150, "\(Self.gameStrings.count) game strings")
    }

    @Test(arguments: gameStrings)
    func replayedMovesReachTheStatedStateAndTurn(gameString: String) throws {
        let f = gameString.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let position = try HiveRules.position(gameString: gameString)
        let rules = HiveRules()
        // Turn: `White[3]` or `Black[12]`.
        let turn = f[2]
        let side = turn.hasPrefix("White[") ? 0 : turn.hasPrefix("Black[") ? 1 : -1
        let number = Int(turn.drop(while: { $0 != "[" }).dropFirst().dropLast())
        #expect(rules.sideToMove(position) == side, "turn \(turn)")
        #expect(position.turn == number, "turn \(turn)")
        switch (f[1], rules.outcome(position)) {
        case ("NotStarted", .ongoing), ("InProgress", .ongoing), ("WhiteWins", .win(0, _)), ("BlackWins", .win(1, _)),
            ("Draw", .draw):
            break
        case (let stated, let reached):
            Issue.record("stated \(stated), the rules reach \(reached)")
        }
        #expect((f[1] == "NotStarted") == (f.count == 3 || f[3...].allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty }))
    }
}
