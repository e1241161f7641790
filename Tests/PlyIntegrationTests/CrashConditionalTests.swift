import Foundation
import PlyJSON
import Testing

extension CrashTests {
    /// A server killed right after the opponent's move is acknowledged loses neither that
    /// move nor the conditional reply it triggered: both plies are in the move's one commit,
    /// so after a restart both are stored (a half-applied pair cannot exist; the test would
    /// see the reply missing).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path), "build the ply binary first"))
    func killMinusNineBetweenAMoveAndItsConditionalReply() async throws {
        let port = freePort()
        let process = try serveProcess(port: port)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try #require(try await isListening(port: port), "the server came up")
        let (ann, bo, id) = try await openTable(port: port, label: "crash-conditional")
        try await ann.ok("MOVE \(id) 1 f5")
        let answer = try #require(try reversiLegal(after: ["f5", "d6"]).first)
        try await ann.ok("CONDITIONAL \(id) 2 d6; \(answer)")
        let reply = try await bo.ok("MOVE \(id) 2 d6")
        kill(process.processIdentifier, SIGKILL)
        #expect(reply["conditional"]?["move"]?.stringValue == answer)
        process.waitUntilExit()

        let server = try await TestServer.start()
        let (reader, _) = try await server.player("reader")
        let m = try await reader.ok("MATCH \(id)")
        #expect(m["moves"] == ["f5", "d6", .string(answer)], "the move and its conditional reply are both stored")
        #expect(m["ply"]?.intValue == 3)
        try await server.stop()
    }
}
