import Foundation
import Logging
import PlyJSON
import PlyRules
import PlyStore
import PostgresNIO
import Synchronization
import Testing

/// `kill -9` at any moment loses no acknowledged move: the real `ply` binary is killed
/// under a stream of moves from many matches, and every acknowledged move must be there
/// after a restart.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct CrashTests {
    static var binary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/ply")
    }

    /// The binary's threading settings: `PLY_EVENT_LOOPS` sets the event-loop threads, and
    /// with `PLY_NIO_EXECUTOR=0` actors run on Swift's own pool; a match plays either way.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path), "build the ply binary first"),
        arguments: [("1", "0"), ("3", "1")])
    func threadingSettings(loops: String, nioExecutor: String) async throws {
        try await Self.withBinary(environment: ["PLY_EVENT_LOOPS": loops, "PLY_NIO_EXECUTOR": nioExecutor]) { port, pid in
            try await Self.playOneMove(port: port)
            // NIO names the threads of its shared event-loop group NIO-SGLTN-<group>-#<n>.
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
            let loopThreads = try tasks.filter { t in
                try String(contentsOfFile: "/proc/\(pid)/task/\(t)/comm", encoding: .utf8).hasPrefix("NIO-SGLTN-")
            }
            #expect(loopThreads.count == Int(loops))
        }
    }

    /// `PLY_COMMIT_LANES`: by default group commits run on a lane (a connection of its own,
    /// named as such to PostgreSQL); with `0` they take pooled connections and no lane is
    /// opened. A move commits either way.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path), "build the ply binary first"),
        arguments: [("1", 1), ("0", 0)])
    func commitLanesSetting(setting: String, lanesExpected: Int) async throws {
        let url = try await TestDatabase.fresh()
        try await Self.withBinary(environment: ["PLY_COMMIT_LANES": setting], databaseURL: url.description) { port, _ in
            try await Self.playOneMove(port: port)
            let logger = Logger(label: "ply.test.lanes")
            let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                var waiting = -1
                for try await n in try await client.query(
                    """
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = \(DatabaseWriter.laneApplicationName)
                    """, logger: logger
                ).decode(Int.self) { waiting = n }
                #expect(waiting == lanesExpected)
                group.cancelAll()
            }
        }
    }

    /// Runs the real binary (`ply serve` on a free port, the test database unless another is
    /// given) with extra environment variables, until `body` returns.
    static func withBinary(
        environment: [String: String], databaseURL: String? = nil, _ body: (Int, Int32) async throws -> Void
    ) async throws {
        let port = freePort()
        let process = try serveProcess(port: port, databaseURL: databaseURL, environment: environment)
        try process.run()
        defer { process.terminateAndWait() }
        try #require(try await isListening(port: port), "the server came up")
        try await body(port, process.processIdentifier)
    }

    /// Two players, one match, one move, and the opponent sees it.
    static func playOneMove(port: Int) async throws {
        let (first, second, id) = try await openTable(port: port, label: "one-move")
        try await first.ok("MOVE \(id) 1 f5")
        #expect(try await second.event("move")["move"]?.stringValue == "f5")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary.path), "build the ply binary first"))
    func killMinusNineLosesNoAcknowledgedMove() async throws {
        let port = freePort()
        let process = try serveProcess(port: port)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try #require(try await isListening(port: port), "the server came up")
        // Ten matches between twenty players.
        struct Pair: Sendable {
            var a: TestClient, b: TestClient, match: String
        }
        var pairs: [Pair] = []
        for i in 0..<10 {
            let a = try await TestClient.connect(port: port)
            let b = try await TestClient.connect(port: port)
            _ = try await a.authDevice("crash-a\(i)-\(UUID().uuidString)")
            let bo = try await b.authDevice("crash-b\(i)-\(UUID().uuidString)")
            // Public: the reader after the restart plays none of them.
            let m = try await a.ok(#"CHALLENGE \#(bo.player) reversi {"side":"first","public":true}"#)
            let id = try #require(m["match"]?.stringValue)
            try await b.ok("ACCEPT \(id)")
            pairs.append(Pair(a: a, b: b, match: id))
        }
        // Each pair plays as fast as it can, recording every move it got an OK for. The
        // server is killed once `killAfter` moves are acknowledged in all, so the kill lands
        // while games are still going (a Reversi game is about 60 moves; ten of them, 600).
        let killAfter = 120
        let progress = KillProgress()
        struct Played: Sendable {
            var match: String, moves: [String], finished: Bool
        }
        let played = await withTaskGroup(of: Played?.self) { group in
            for (i, p) in pairs.enumerated() {
                group.addTask {
                    var acked: [String] = []
                    var state = try! GameState(game: GameCatalog.game("reversi")!, settings: [:])
                    var rng = SeededRandom(seed: UInt64(i))
                    while !state.outcome.isOver {
                        let legal = state.legalMoves()
                        let move = legal[Int(rng.next() % UInt64(legal.count))]
                        let mover = acked.count % 2 == 0 ? p.a : p.b
                        let line = "MOVE \(p.match) \(acked.count + 1) \(move)"
                        guard let r = try? await mover.call(line) else {
                            // The server gone: expected only once the kill was sent.
                            if !progress.killSent { Issue.record("\(line): no reply before the kill") }
                            break
                        }
                        guard r.hasPrefix("OK") else {
                            // SIGKILL closes sockets without a word, so an ERR always comes
                            // from the live server refusing a legal move.
                            Issue.record("\(line) -> \(r) (kill sent: \(progress.killSent))")
                            break
                        }
                        acked.append(move)
                        progress.acknowledge()
                        state = try! state.applying(move).state
                    }
                    return Played(match: p.match, moves: acked, finished: state.outcome.isOver)
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(60)
                while progress.acknowledged < killAfter && ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(1))
                }
                progress.markKillSent()
                kill(process.processIdentifier, SIGKILL)
                return nil
            }
            var out: [Played] = []
            for await result in group { if let result { out.append(result) } }
            return out
        }
        #expect(progress.acknowledgedAtKill >= killAfter, "the kill waits for \(killAfter) acknowledged moves")
        let cutShort = played.filter { !$0.finished }
        #expect(!cutShort.isEmpty, "no match was cut short: the kill did not land mid-game")
        let acknowledged = Dictionary(uniqueKeysWithValues: played.map { ($0.match, $0.moves) })

        let server = try await TestServer.start()
        let (reader, _) = try await server.player("reader")
        for (match, moves) in acknowledged {
            let m = try await reader.ok("MATCH \(match)")
            let stored = try #require(m["moves"]?.arrayValue).compactMap(\.stringValue)
            #expect(Array(stored.prefix(moves.count)) == moves, "\(match): every acknowledged move is stored")
            #expect(stored.count <= moves.count + 1, "at most the move in flight beyond the acknowledged ones")
        }
        try await server.stop()
    }
}

/// Moves acknowledged across all matches, and whether the kill was sent, shared by the
/// players' tasks and the one that kills the server.
private final class KillProgress: Sendable {
    private struct State {
        var acknowledged = 0
        var acknowledgedAtKill: Int?
    }
    private let state = Mutex(State())

    var acknowledged: Int { state.withLock { $0.acknowledged } }
    var killSent: Bool { state.withLock { $0.acknowledgedAtKill != nil } }
    var acknowledgedAtKill: Int { state.withLock { $0.acknowledgedAtKill ?? 0 } }

    func acknowledge() { state.withLock { $0.acknowledged += 1 } }
    /// Called just before the signal is sent, so a reply read while this is unset came
    /// from a server that had not been killed.
    func markKillSent() { state.withLock { $0.acknowledgedAtKill = $0.acknowledged } }
}
