import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// `CONDITIONAL` and `TAKEBACK` through the engine's sessions on `MemoryStorage`.
@Suite(.timeLimit(.minutes(1))) struct ConditionalTakebackEngineTests {
    typealias Table = EngineInProcessTests.Table

    static func legal(after moves: [String]) throws -> [String] {
        var s = try GameState(game: try #require(GameCatalog.game("reversi")), settings: [:])
        for m in moves { s = try s.applying(m).state }
        return s.legalMoves()
    }

    @Test func aLineIsStoredPlayedInOneCommitAndReloaded() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            try await t.play(["f5"])
            let answer = try #require(try Self.legal(after: ["f5", "d6"]).first)
            try await t.ann.ok("CONDITIONAL \(t.match) 2 d6; \(answer)")
            #expect(try await e.store.conditionalLines(of: t.match)[t.annID] == ["2 d6;\(answer)"])
            // Reloaded from storage, the line is still live.
            #expect(await e.engine.matches.evictIdle(before: e.clock.now.addingTimeInterval(1)) == 1)
            let commits = e.store.commitCount
            let reply = try await t.bo.ok("MOVE \(t.match) 2 d6")
            #expect(reply?["conditional"]?["move"]?.stringValue == answer)
            #expect(e.store.commitCount == commits + 1, "the move and its reply: one commit")
            #expect(e.store.moves(of: t.match) == ["f5", "d6", answer])
            #expect(try await t.ann.event("move", match: t.match).body["ply"]?.intValue == 2)
            #expect(try await t.ann.event("move", match: t.match).body["ply"]?.intValue == 3)
            #expect(try await t.bo.event("move", match: t.match).body["conditional"] == true)
            #expect(try await e.store.conditionalLines(of: t.match).isEmpty, "the used line is tidied away")
        }
    }

    @Test func aTakebackMovesThePliesAsideInStorage() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e)
            let a3 = try #require(try Self.legal(after: ["f5", "d6"]).first)
            try await t.play(["f5", "d6", a3])
            try await t.bo.ok("TAKEBACK \(t.match) offer")
            #expect(try await t.ann.event("takeback", match: t.match).body["state"]?.stringValue == "offered")
            let accepted = try await t.ann.ok("TAKEBACK \(t.match) accept")
            #expect(accepted?["ply"]?.intValue == 1)
            #expect(e.store.moves(of: t.match) == ["f5"])
            #expect(e.store.takenBack(of: t.match) == ["d6", a3])
            #expect(try await t.bo.event("undo", match: t.match).body["undone"] == ["d6", .string(a3)])
            let m = try await t.bo.ok("MATCH \(t.match)")
            #expect(m?["moves"] == ["f5"])
            #expect(m?["to_move"]?.stringValue == t.boID)
            try await t.bo.ok("MOVE \(t.match) 2 f6")
            #expect(e.store.moves(of: t.match) == ["f5", "f6"])
            try await t.ann.ok("RESIGN \(t.match)")
            #expect(try await t.bo.error("TAKEBACK \(t.match) offer") == "game_over")
        }
    }
}
