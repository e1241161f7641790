import Foundation
import Testing

/// `Scripts/serve` as the README has a newcomer run it, with the debug binary
/// (`PLY_BINARY`) and a cluster of the test's own (`PLY_PG_DIR`, `PLY_PG_PORT`): it brings
/// the cluster up, a second run beside it (a standby) leaves the shared cluster running when
/// it stops, a run whose web port is taken stops at once and names that port, and the run
/// that started the cluster stops it.
@Suite(
    .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"),
    .timeLimit(.minutes(3)))
struct ServeScriptTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A run of `Scripts/serve` with `arguments`, its output in a file of its own.
    struct Run {
        let process = Process()
        let log: URL

        init(_ arguments: [String], cluster: String, pgPort: Int) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("ply-serve-\(UUID().uuidString.prefix(8)).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let out = try FileHandle(forWritingTo: log)
            // The test process ignores SIGTERM (its in-process servers' signal handling), and
            // a shell cannot trap a signal ignored when it started: reset it, as a terminal has it.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["--default-signal=TERM,INT", "/bin/bash", Self.script] + arguments
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLY_") }
            environment["PLY_BINARY"] = CrashTests.binary.path
            environment["PLY_PG_DIR"] = cluster
            environment["PLY_PG_PORT"] = String(pgPort)
            environment["PLY_LOG_LEVEL"] = "warning"
            process.environment = environment
            process.standardOutput = out
            process.standardError = out
            try process.run()
        }

        static var script: String { ServeScriptTests.root.appendingPathComponent("Scripts/serve").path }
        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Waits until the script says the server listens (60 s at most: the first run makes
        /// the cluster).
        func waitListening() async throws -> Bool {
            for _ in 0..<600 {
                if output.contains("Ply listens on") { return true }
                if !process.isRunning { return false }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }

    @Test func aSecondRunSharesTheClusterAndABusyWebPortIsNamed() async throws {
        let cluster = FileManager.default.temporaryDirectory.appendingPathComponent("ply-serve-pg-\(UUID().uuidString.prefix(8))").path
        let pgPort = freePort(), port = freePort(), http = freePort()
        defer { try? FileManager.default.removeItem(atPath: cluster) }
        let first = try Run(["--port", "\(port)", "--http-port", "\(http)"], cluster: cluster, pgPort: pgPort)
        defer { first.process.terminateAndWait(within: 60, "Scripts/serve") }
        try #require(try await first.waitListening(), "the first server came up: \(first.output)")

        // A standby on the same cluster: it says the cluster was running, and leaves it so.
        let standby = try Run(
            ["--port", "\(freePort())", "--http-port", "\(freePort())", "--standby"], cluster: cluster, pgPort: pgPort)
        try #require(try await standby.waitListening(), "the standby came up: \(standby.output)")
        #expect(standby.output.contains("running already"), "\(standby.output)")
        standby.process.terminateAndWait(within: 60, "the standby's Scripts/serve")
        let player = try await TestClient.connect(port: port)
        _ = try await player.authDevice("serve-script-\(UUID().uuidString)")

        // The first server's web port again: refused before anything starts, naming it.
        let clash = try Run(["--port", "\(freePort())", "--http-port", "\(http)"], cluster: cluster, pgPort: pgPort)
        clash.process.waitForExit(within: 30, "Scripts/serve with a busy web port")
        #expect(clash.process.terminationStatus == 1)
        #expect(clash.output.contains("web port 127.0.0.1:\(http)"), "\(clash.output)")
        #expect(try await player.call("PING") == "OK", "the first server still serves")

        // The run that started the cluster stops it.
        first.process.terminateAndWait(within: 60, "Scripts/serve")
        #expect(first.process.terminationStatus == 0, "\(first.output)")
        #expect(await player.isClosed())
        #expect(!(await Self.accepts(port: pgPort)), "the cluster stopped with the run that started it")
    }

    static func accepts(port: Int) async -> Bool {
        (try? await TestClient.connect(port: port, expectHello: false)) != nil
    }
}
