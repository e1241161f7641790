import PlyJSON
import PlyRules
import Testing

/// `LEGAL <match>` through the protocol: the server's list is the rules' list for the
/// match's position, for whoever asks.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct LegalMovesTests {
    @Test func legalListsTheMovesOfThePosition() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let opening = try #require(try await t.first.ok("LEGAL \(t.match)").arrayValue).compactMap(\.stringValue)
        #expect(Set(opening) == ["d3", "c4", "f5", "e6"])
        try await server.play(t, ["f5"])
        var state = try GameState(game: try #require(GameCatalog.game("reversi")), settings: [:])
        state = try state.applying("f5").state
        let reply = try #require(try await t.second.ok("LEGAL \(t.match)").arrayValue).compactMap(\.stringValue)
        #expect(Set(reply) == Set(state.legalMoves()) && reply.count == state.legalMoves().count)
        try await t.first.err("LEGAL m987654321", "not_found")
        try await server.stop()
    }
}
