import Foundation
import Testing

/// `Scripts/serve` as the README has a newcomer run it, with the debug binary
/// (`PLY_BINARY`) and a cluster of the test's own (`PLY_PG_DIR`, `PLY_PG_PORT`): it brings
/// the cluster up, a second run beside it (a standby) leaves the shared cluster running when
/// it stops, a run whose web port is taken stops at once and names that port, the run that
/// started the cluster leaves it to a standby that still uses it, and stops it otherwise.
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
            environment["PLY_PG_FSYNC"] = "off"  // a test's cluster: no flushes to slow the suite
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
                if ended { return false }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }

        /// Whether the script has ended (a zombie not yet reaped counts), read from /proc:
        /// Foundation's own wait may miss the exit of a child whose grandchild (PostgreSQL)
        /// lives on, and it would block a thread the in-process servers of other tests need.
        var ended: Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), stat.index(close, offsetBy: 2) < stat.endIndex
            else { return true }
            return stat[stat.index(close, offsetBy: 2)] == "Z"
        }

        /// Waits until the script has ended, without blocking a thread; kills it and returns
        /// false after `seconds`.
        func waitEnded(within seconds: Int = 60) async throws -> Bool {
            for _ in 0..<(seconds * 10) {
                if ended { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(process.processIdentifier, SIGKILL)
            return false
        }

        /// SIGTERM (as Ctrl-C would end it), then `waitEnded`.
        func stop(within seconds: Int = 60) async throws -> Bool {
            if !ended { kill(process.processIdentifier, SIGTERM) }
            return try await waitEnded(within: seconds)
        }
    }

    @Test func aSecondRunSharesTheClusterAndABusyWebPortIsNamed() async throws {
        let cluster = FileManager.default.temporaryDirectory.appendingPathComponent("ply-serve-pg-\(UUID().uuidString.prefix(8))").path
        let pgPort = freePort(), port = freePort(), http = freePort()
        var runs: [Run] = []
        defer {
            // Whatever the test left running, without waiting for it.
            for run in runs where !run.ended { kill(run.process.processIdentifier, SIGKILL) }
            let command = "/bin/bash -c 'source \"\(Self.root.path)/Scripts/lib/common.sh\" && ply_pg_stop \"$1\"; rm -rf \"$1\"' bash \"\(cluster)\" </dev/null >/dev/null 2>&1"
            DispatchQueue.global().async { _ = system(command) }
        }
        let first = try Run(["--port", "\(port)", "--http-port", "\(http)"], cluster: cluster, pgPort: pgPort)
        runs.append(first)
        try #require(try await first.waitListening(), "the first server came up: \(first.output)")

        // A standby on the same cluster: it says the cluster was running, and leaves it so.
        let standby = try Run(
            ["--port", "\(freePort())", "--http-port", "\(freePort())", "--standby"], cluster: cluster, pgPort: pgPort)
        runs.append(standby)
        try #require(try await standby.waitListening(), "the standby came up: \(standby.output)")
        #expect(standby.output.contains("running already"), "\(standby.output)")
        #expect(try await standby.stop(), "the standby's Scripts/serve ended")
        let player = try await TestClient.connect(port: port)
        let login = try await player.authDevice("serve-script-\(UUID().uuidString)")

        // The first server's web port again: refused before anything starts, naming it.
        let clash = try Run(["--port", "\(freePort())", "--http-port", "\(http)"], cluster: cluster, pgPort: pgPort)
        runs.append(clash)
        #expect(try await clash.waitEnded(within: 30), "a run with a busy web port ends")
        #expect(clash.output.contains("web port 127.0.0.1:\(http)"), "\(clash.output)")
        #expect(try await player.call("PING") == "OK", "the first server still serves")

        // The run that started the cluster stops it, unless a standby still uses it: that one
        // then takes over.
        let standbyPort = freePort()
        let second = try Run(
            ["--port", "\(standbyPort)", "--http-port", "\(freePort())", "--standby"], cluster: cluster, pgPort: pgPort)
        runs.append(second)
        try #require(try await second.waitListening(), "the second standby came up: \(second.output)")
        #expect(try await first.stop(), "the first Scripts/serve ended")
        #expect(first.output.contains("left running"), "\(first.output)")
        #expect(await player.isClosed())
        var resumed = ""
        for _ in 0..<50 where !resumed.hasPrefix("OK") {
            if let c = try? await TestClient.connect(port: standbyPort, expectHello: false),
                (try? await c.nextLine(timeout: .seconds(5)))?.hasPrefix("EVENT hello") == true
            {
                resumed = (try? await c.call("AUTH SESSION \(login.session)")) ?? ""
            }
            if !resumed.hasPrefix("OK") { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(resumed.hasPrefix("OK"), "the standby took over on the shared cluster: \(resumed)")
        #expect(try await second.stop(), "the second standby's Scripts/serve ended")
        #expect(await Self.accepts(port: pgPort), "a run that did not start the cluster leaves it")
        try await PrivateCluster(dir: cluster, port: pgPort).stop()
        #expect(!(await Self.accepts(port: pgPort)))
    }

    static func accepts(port: Int) async -> Bool {
        (try? await TestClient.connect(port: port, expectHello: false)) != nil
    }
}
