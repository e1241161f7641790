import Foundation
import PlyEngine
import PlyScript
import PlyServer
import PlyStore
import PlyTesting
import Testing

/// `ply script` against a real server: the documented sessions hold, a changed reply is
/// shown with its line, and captured ids carry from one player's reply into another's request.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct ScriptTests {
    /// `Tests/Scripts`: the README's and PROTOCOL.md's sessions as scripts.
    static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts")
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: scripts.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(arguments: ["readme-session.ply", "protocol-session.ply"])
    func theDocumentedSessionHolds(name: String) async throws {
        let server = try await TestServer.start()
        do {
            let script = try Script(parsing: try Self.text(name))
            let held = try await ScriptRunner(host: "127.0.0.1", port: server.port).run(script)
            #expect(held == script.expectationCount)
        } catch let failure as ScriptFailure {
            Issue.record("\(name): \(failure)\nserver log:\n\(server.recentLog())")
        }
        try await server.stop()
    }

    @Test func aChangedReplyFailsWithItsLineAndTheDifference() async throws {
        let server = try await TestServer.start()
        let changed = try Self.text("protocol-session.ply").replacingOccurrences(
            of: #"ann< OK {"match":$m,"ply":1,"status":"active""#, with: #"ann< OK {"match":$m,"ply":1,"status":"finished""#)
        let script = try Script(parsing: changed)
        let line = try #require(changed.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(#""finished""#) }) + 1
        await #expect {
            try await ScriptRunner(host: "127.0.0.1", port: server.port).run(script)
        } throws: { error in
            guard let failure = error as? ScriptFailure else { return false }
            return failure.line == line && failure.detail == #"at .status: expected "finished", got "active""#
                && failure.got.hasPrefix(#"OK {"match":"#) && "\(failure)".contains("line \(line): ann< OK")
        }
        try await server.stop()
    }

    /// Two new players, Ann and Bo, and Ann's challenge to Bo (`$m`): the opening of the
    /// scripts below.
    static let opening = """
        ann> AUTH DEVICE ann-$run
        ann< OK {"player":$ann}
        bo> AUTH DEVICE bo-$run
        bo< OK {"player":$bo}
        ann> CHALLENGE $bo reversi {"side":"first"}
        ann< OK {"match":$m}
        """

    @Test func capturedIdsCarryAcrossPlayers() async throws {
        let server = try await TestServer.start()
        let script = try Script(
            parsing: """
                \(Self.opening)
                bo< EVENT challenge {"match":$m,"from":$ann}
                bo> ACCEPT $m
                bo< OK {"match":$m}
                ann< EVENT start {"match":$m,"to_move":$ann}
                ann> MOVE $m 1 f5
                ann< OK {"ply":1,"to_move":$bo}
                bo< EVENT move {"match":$m,"ply":1}
                """)
        let held = try await ScriptRunner(host: "127.0.0.1", port: server.port).run(script)
        #expect(held == script.expectationCount)

        // A capture, once made, must hold: Bo's id is not Ann's.
        let wrong = try Script(
            parsing: """
                ann> AUTH DEVICE ann-$run
                ann< OK {"player":$p}
                bo> AUTH DEVICE bo-$run
                bo< OK {"player":$p}
                """)
        await #expect {
            try await ScriptRunner(host: "127.0.0.1", port: server.port).run(wrong)
        } throws: { error in
            (error as? ScriptFailure)?.line == 4 && (error as? ScriptFailure)?.detail?.contains("expected $p = ") == true
        }
        try await server.stop()
    }

    @Test func aReplyThatNeverComesFailsAfterItsWait() async throws {
        // A schema of its own: the slow commit below would slow every other server's moves.
        var database = try TestDatabase.url()
        database.schema = "ply_slow_\(UInt32.random(in: 0...UInt32.max))"
        // The server waits out the whole slow commit (past its 5 s default, an ERR unavailable
        // would race the script's own 5 s wait).
        let server = try await TestServer.start(database: database) {
            $0.dropSchemaOnExit = true
            $0.engine.databaseTimeLimitSeconds = 30
        }
        // Far apart, so a loaded machine's slow steps stay inside the limit and the move cannot.
        try await slowCommits(database, seconds: 12, when: "NEW.move = 'f5'")
        let script = try Script(
            parsing: """
                \(Self.opening)
                bo> ACCEPT $m
                ann> MOVE $m 1 f5
                ann< OK {"ply":1}
                """)
        await #expect {
            try await ScriptRunner(host: "127.0.0.1", port: server.port, replyTimeout: .seconds(5)).run(script)
        } throws: { error in
            (error as? ScriptFailure)?.line == 8 && (error as? ScriptFailure)?.got == "no reply within 5.0 seconds"
        }
        try await server.stop()
    }

    @Test func aMissingEventFailsAfterItsWait() async throws {
        let server = try await TestServer.start()
        let script = try Script(parsing: "ann> PING\nann< OK\nann< EVENT move {}")
        await #expect {
            try await ScriptRunner(host: "127.0.0.1", port: server.port, eventTimeout: .milliseconds(300)).run(script)
        } throws: { error in
            (error as? ScriptFailure)?.got == "no move event within 0.3 seconds"
        }
        try await server.stop()
    }
}

/// The real `ply script` against a real `ply serve`: the documented sessions exit 0, a
/// changed one exits 1 with the line it stopped at.
@Suite(
    .enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"),
    .timeLimit(.minutes(3)))
struct ScriptCommandTests {
    @Test func theDocumentedSessionsPassAndAChangeFails() async throws {
        let port = freePort()
        let serve = try serveProcess(port: port)
        try serve.run()
        defer { serve.terminateAndWait() }
        try #require(try await isListening(port: port), "the server did not come up")
        for name in ["readme-session.ply", "protocol-session.ply"] {
            let path = ScriptTests.scripts.appendingPathComponent(name).path
            let run = try CommandLineTests.ply(["script", path, "--target", "127.0.0.1:\(port)"])
            #expect(run.status == 0, "\(name): \(run.err)")
            #expect(run.out.contains("expectations held"), "\(run.out)")
        }
        let changed = FileManager.default.temporaryDirectory.appendingPathComponent("ply-script-\(UUID().uuidString).ply")
        try "ann> LEGAL m0\nann< OK [\"d3\"]\n".write(to: changed, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: changed) }
        let run = try CommandLineTests.ply(["script", changed.path, "--target", "127.0.0.1:\(port)"])
        #expect(run.status == 1)
        #expect(run.err.contains("line 2: ann< OK [\"d3\"]") && run.err.contains("expected: OK [\"d3\"]") && run.err.contains("got:      ERR "), "\(run.err)")
    }
}
