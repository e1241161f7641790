import Foundation
import PlyClient
import PlyRules
import PlyTesting
import Testing

/// A studio's test, as it would write one: a real Ply server from `PlyTestServer` in a
/// schema of its own, two clients, a Reversi match played to the end.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PLY_TEST_DATABASE_URL"] != nil, "needs PLY_TEST_DATABASE_URL"))
struct ReversiMatchTests {
    @Test func aMatchIsPlayedToTheEnd() async throws {
        let server = try await PlyTestServer.start(databaseURL: ProcessInfo.processInfo.environment["PLY_TEST_DATABASE_URL"]!)
        let table = try await server.match("reversi")
        let seats = [table.first.player!: table.first, table.second.player!: table.second]

        // The rules pick each move (the first legal one); the server must agree with them.
        var state = try GameState(game: GameCatalog.game("reversi")!, settings: [:])
        var toMove = try #require(table.first.player)
        var status = "active"
        var ply = 0
        while status == "active" {
            let move = try #require(state.legalMoves().sorted().first)
            ply += 1
            let reply = try await seats[toMove]!.move(match: table.id, ply: ply, move: move)
            state = try state.applying(move).state
            status = try #require(reply["status"]?.stringValue)
            toMove = reply["to_move"]?.stringValue ?? toMove
            #expect(ply < 200, "a Reversi match ends within 60 moves and its passes")
        }
        #expect(status == "finished")
        await table.close()
        try await server.stop()
    }
}
