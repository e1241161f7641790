import Foundation
import PlyJSON
import Testing

/// The `ply` binary's commands as the README shows them, and `serve` stopping cleanly.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"))
struct CommandLineTests {
    struct Run {
        var status: Int32
        var reason: Process.TerminationReason
        var out: String
        var err: String
    }

    /// Runs `ply` with `arguments` to the end.
    static func ply(_ arguments: [String]) throws -> Run {
        let p = Process()
        p.executableURL = CrashTests.binary
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // A run that never ends is killed (which ends its output too) and fails the test.
        let pid = p.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitForExit(within: 10, "ply \(arguments.joined(separator: " "))")
        watchdog.cancel()
        return Run(
            status: p.terminationStatus, reason: p.terminationReason,
            out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    /// TLS files that cannot be read, or half a pair, stop `ply serve` with a message that
    /// names the problem (before it reaches the database).
    @Test func serveRefusesTLSFilesItCannotUse() throws {
        let url = "postgres://nobody@127.0.0.1:1/none"
        let missing = try Self.ply(["serve", "--database-url", url, "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("cannot read the certificate chain in /nonexistent/cert.pem"), "\(missing.err)")
        let half = try Self.ply(["serve", "--database-url", url, "--tls-cert", "/nonexistent/cert.pem"])
        #expect(half.status != 0)
        #expect(half.err.contains("give both --tls-cert and --tls-key"), "\(half.err)")
    }

    @Test func perftCountsTheReadmesFigure() throws {
        let r = try Self.ply(["perft", "reversi", "10"])
        #expect(r.status == 0)
        #expect(r.out.split(separator: "\n").first == "24571284", "\(r.out)")
    }

    @Test func legalListsTheOpeningMoves() throws {
        let r = try Self.ply(["legal", "reversi"])
        #expect(r.status == 0)
        #expect(Set(r.out.split(separator: "\n").map(String.init)) == ["d3", "c4", "f5", "e6"])
        let hive = try Self.ply(["legal", "hive", "--settings", #"{"expansions":"MLP"}"#, "--moves", "wS1;bG1 -wS1"])
        #expect(hive.status == 0)
        #expect(hive.out.contains("wQ"), "white may place its queen: \(hive.out.prefix(200))")
    }

    @Test func replayDescribesThePosition() throws {
        let r = try Self.ply(["replay", "khet", "--moves", "d1-d2;g8-g7"])
        #expect(r.status == 0)
        let o = try JSONValue(parsing: r.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(o["ply"]?.intValue == 2 && o["status"]?.stringValue == "active")
        #expect(o["laser"]?.arrayValue?.isEmpty == false)
    }

    @Test func fsyncProbeReportsItsFlushes() throws {
        let r = try Self.ply(["bench", "fsync", "--directory", NSTemporaryDirectory(), "--duration", "0.3", "--interval-ms", "5"])
        #expect(r.status == 0, "\(r.err)")
        let last = try #require(r.out.split(separator: "\n").last)
        let o = try JSONValue(parsing: String(last))
        let flushes = try #require(o["flushes"]?.intValue)
        #expect(flushes >= 3 && flushes <= 60, "\(r.out)")
        #expect((o["max_ms"]?.doubleValue ?? -1) >= (o["p50_ms"]?.doubleValue ?? .infinity))
        #expect(o["stalls"]?.intValue != nil)
    }

    /// `ply bench search` times each depth on positions it takes from bot games.
    @Test func searchBenchReportsEachDepth() throws {
        let r = try Self.ply(["bench", "search", "--game", "khet", "--games", "1", "--per-game", "2", "--depth", "2", "--limit", "2"])
        #expect(r.status == 0, "\(r.err)")
        let last = try #require(r.out.split(separator: "\n").last)
        let o = try JSONValue(parsing: String(last))
        #expect(o["game"]?.stringValue == "khet")
        #expect(o["positions"]?.intValue == 2)
        let depths = try #require(o["depths"]?.arrayValue)
        #expect(depths.map { $0["depth"]?.intValue } == [1, 2])
        for d in depths {
            #expect((d["nodes_per_second"]?.doubleValue ?? 0) > 0)
            let within = d["finished_within_level_time"]?.arrayValue?.compactMap(\.intValue) ?? []
            // Five levels, each finishing on at most every position, the higher ones on no fewer.
            #expect(within.count == 5 && within.allSatisfy { $0 <= 2 } && within == within.sorted())
        }
    }

    /// Bad input is a message and a failing exit status, never a crash.
    @Test(arguments: [
        (["perft", "chess", "3"], "unknown game"),
        (["replay", "reversi", "--moves", "z9"], "z9"),
        (["legal", "hive", "--settings", "{not json"], "settings"),
        (["perft", "reversi", "-1"], "depth"),
        (["bench", "fsync", "--directory", "/nonexistent/ply", "--duration", "0.1"], "/nonexistent/ply"),
        (["bench", "fsync", "--stall-ms", "0"], "--stall-ms"),
        (["bench", "search", "--game", "reversi"], "--game is hive or khet"),
        (["bench", "search", "--depth", "0"], "--depth 1 to 12"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--shutdown-seconds", "0"], "shutdown-seconds"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--schema", "Ply-1"], "schema \"Ply-1\" must be lower-case"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--drop-schema-on-exit"], "--drop-schema-on-exit needs --schema"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--admin-token", "short"], "admin-token must be at least 32"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--max-challenges-per-hour=-1"], "must not be negative"),
        (["serve", "--database-url", "postgres://ply@127.0.0.1:1/ply", "--token-failures-per-ip=-1"], "token-failures-per-ip must not be negative"),
        (["script", "/nonexistent/session.ply"], "cannot read /nonexistent/session.ply"),
        (["script", "/dev/null", "--target", "nowhere"], "--target must be host:port"),
    ])
    func badInputIsRefusedClearly(arguments: [String], says: String) throws {
        let r = try Self.ply(arguments)
        #expect(r.reason == .exit && r.status != 0, "exit \(r.status) (\(r.reason))")
        #expect((r.err + r.out).contains(says), "\(r.err)")
    }

    /// A flag wins over its environment variable; a flag out of range stops start-up with a message.
    @Test(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
    func flagsWinOverEnvironmentAndBadValuesAreRefused() async throws {
        let flagPort = freePort(), envPort = freePort()
        let p = try serveProcess(port: flagPort, environment: ["PLY_PORT": String(envPort)])
        try p.run()
        defer { p.terminateAndWait() }
        #expect(try await isListening(port: flagPort), "listening on the flag's port")
        #expect((try? await TestClient.connect(port: envPort)) == nil, "not on the variable's")

        let refused = try Self.ply(["serve", "--port", "0", "--max-line-bytes", "10", "--database-url", try #require(TestDatabase.urlText)])
        #expect(refused.reason == .exit && refused.status != 0)
        #expect(refused.err.contains("max-line-bytes"), "\(refused.err)")
    }

    /// A graceful stop that cannot finish (a move's `COMMIT` sleeps far past the shutdown
    /// limit, with a database time limit longer still) ends at `--shutdown-seconds`: the
    /// connection still waiting is closed and the process exits.
    @Test(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
    func aStuckStopEndsAtTheShutdownTimeLimit() async throws {
        let database = try await TestDatabase.fresh()
        let port = freePort()
        let p = try serveProcess(
            port: port, databaseURL: "\(database)",
            environment: ["PLY_DATABASE_TIMEOUT_SECONDS": "60", "PLY_SHUTDOWN_SECONDS": "2"])
        p.standardError = FileHandle.nullDevice
        let exited = p.exitWatch()
        try p.run()
        defer { p.terminateAndWait() }
        try #require(try await isListening(port: port), "the server came up")
        let (first, _, id) = try await openTable(port: port, label: "stuck-stop")
        try await slowCommits(database, seconds: 15, when: "NEW.move = 'f5'")
        try await first.send("MOVE \(id) 1 f5")
        try await waitForSleepingCommit(database)  // the move waits in its COMMIT
        let took = await p.sigterm(waitingFor: exited, killAfter: .seconds(30))
        #expect(p.terminationReason == .exit, "exited rather than killed: \(p.terminationReason)")
        #expect(took >= .seconds(2) && took < .seconds(12), "stopped after \(took)")
        #expect(await first.isClosed(), "the waiting connection was closed")
    }

    /// SIGTERM: the server stops accepting, finishes, and exits with status 0.
    @Test(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
    func serveExitsCleanlyOnSigterm() async throws {
        let port = freePort()
        let p = try serveProcess(port: port)
        let exited = p.exitWatch()
        try p.run()
        guard try await isListening(port: port) else {
            p.terminate()
            Issue.record("the server did not come up")
            return
        }
        try await CrashTests.playOneMove(port: port)
        _ = await p.sigterm(waitingFor: exited, killAfter: .seconds(20))
        #expect(p.terminationReason == .exit && p.terminationStatus == 0, "status \(p.terminationStatus), \(p.terminationReason)")
    }
}
