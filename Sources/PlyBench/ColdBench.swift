import PlyProtocol
import Foundation
import Logging
import NIOCore
import NIOPosix
import PlyClient
import PlyJSON
import PlyStore
import PostgresNIO

/// `ply bench cold`: start-up time and first-access latency with many matches in the
/// database and none in memory.
///
/// Seeds `ColdSeed` rows (reusing those already there), optionally runs a restart command
/// (the suite restarts PostgreSQL so its buffers start empty), launches the server binary,
/// times it from launch until a `PING` is answered, then logs in and reads `MATCH` for a
/// random sample of the seeded matches one at a time: each is the first access to that
/// match since start-up, so it loads and replays from PostgreSQL. Stops the server at the end.
public enum ColdBench {
    public struct Options: Sendable {
        public var target: BenchTarget
        public var matches: Int
        public var databaseURL: String
        public var restartCommand: String?
        public var serverBinary: String?
        public var serverArguments: [String]
        public var serverLog: String?
        public var sample: Int
        public var startupTimeout: Duration

        public init(
            target: BenchTarget, matches: Int, databaseURL: String, restartCommand: String? = nil,
            serverBinary: String? = nil, serverArguments: [String] = [], serverLog: String? = nil, sample: Int = 1000,
            startupTimeout: Duration = .seconds(120)
        ) {
            self.target = target
            self.matches = matches
            self.databaseURL = databaseURL
            self.restartCommand = restartCommand
            self.serverBinary = serverBinary
            self.serverArguments = serverArguments
            self.serverLog = serverLog
            self.sample = sample
            self.startupTimeout = startupTimeout
        }
    }

    public struct Result: Sendable {
        public var matches: Int
        public var seeded: Int
        public var seedSeconds: Double
        public var startupSeconds: Double?
        public var firstAccess: LatencySummary
        public var errors: Int
        public var matchLoads: Int?
        public var rssBytes: Int?

        public var report: BenchReport {
            BenchReport(
                title: "cold",
                figures: [
                    ("matches", Double(matches)), ("seeded_now", Double(seeded)), ("seed_s", seedSeconds),
                    ("startup_s", startupSeconds), ("sampled", Double(firstAccess.count)),
                    ("first_access_p50_ms", firstAccess.p50), ("first_access_p99_ms", firstAccess.p99),
                    ("first_access_max_ms", firstAccess.max), ("errors", Double(errors)),
                    ("match_loads", matchLoads.map(Double.init)), ("rss_mb", rssBytes.map { Double($0) / 1_048_576 }),
                ])
        }
    }

    public static func run(_ options: Options, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> Result
    {
        let clock = ContinuousClock()
        let seedStart = clock.now
        let seeded = try await seed(matches: options.matches, databaseURL: options.databaseURL)
        let seedSeconds = LatencySamples.milliseconds(clock.now - seedStart) / 1000
        if seeded > 0 { print("seeded \(seeded) matches in \(BenchReport.format(seedSeconds)) s") }

        if let command = options.restartCommand {
            let status = try runShell(command)
            guard status == 0 else { throw BenchFailure("--restart-command exited with status \(status)") }
        }

        var server: Process?
        var startup: Double?
        if let binary = options.serverBinary {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = options.serverArguments
            // The reader reads thousands of stored matches from one account, past the budget
            // a player has for that (unless the caller set one).
            var environment = ProcessInfo.processInfo.environment
            if environment["PLY_MAX_COLD_READS"] == nil { environment["PLY_MAX_COLD_READS"] = "0" }
            p.environment = environment
            if let log = options.serverLog {
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                p.standardOutput = handle
                p.standardError = handle
            } else {
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
            }
            let t0 = clock.now
            try p.run()
            server = p
            do {
                try await waitForPing(options.target, group: group, until: t0 + options.startupTimeout, process: p)
            } catch {
                stop(p)
                throw error
            }
            startup = LatencySamples.milliseconds(clock.now - t0) / 1000
        }

        do {
            let result = try await firstAccess(options, group: group)
            if let server { stop(server) }
            return Result(
                matches: options.matches, seeded: seeded, seedSeconds: seedSeconds, startupSeconds: startup,
                firstAccess: result.samples.summary(), errors: result.errors, matchLoads: result.loads,
                rssBytes: result.rss)
        } catch {
            if let server { stop(server) }
            throw error
        }
    }

    /// Adds the missing seed rows in one transaction; returns how many matches it added.
    static func seed(matches: Int, databaseURL: String) async throws -> Int {
        var logger = Logger(label: "ply.bench.cold")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: try DatabaseURL(databaseURL).clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                await client.run()
                return 0
            }
            defer { group.cancelAll() }
            _ = try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            return try await client.withConnection { conn in
                let existingMatches = try await count(ColdSeed.countMatchesSQL, on: conn, logger: logger)
                let existingPlayers = try await count(ColdSeed.countPlayersSQL, on: conn, logger: logger)
                try await conn.query(PostgresQuery(unsafeSQL: ColdSeed.makePublicSQL), logger: logger)
                let statements = ColdSeed.statements(
                    matches: matches, existingMatches: existingMatches, existingPlayers: existingPlayers)
                guard !statements.isEmpty else { return 0 }
                try await conn.query("BEGIN", logger: logger)
                do {
                    // Foreign keys are checked by per-row triggers; the generated rows are
                    // consistent by construction, so a superuser skips them for this
                    // transaction (as pg_restore does).
                    if try await count("SELECT CASE WHEN rolsuper THEN 1 ELSE 0 END FROM pg_roles WHERE rolname = current_user", on: conn, logger: logger) == 1 {
                        try await conn.query("SET LOCAL session_replication_role = replica", logger: logger)
                    }
                    for sql in statements {
                        try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                    }
                    try await conn.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await conn.query("ROLLBACK", logger: logger)
                    throw error
                }
                for table in ["players", "matches", "match_players", "plies", "player_stats"] {
                    try await conn.query(PostgresQuery(unsafeSQL: "ANALYZE \(table)"), logger: logger)
                }
                return matches - existingMatches
            }
        }
    }

    static func count(_ sql: String, on conn: PostgresConnection, logger: Logger) async throws -> Int {
        for try await n in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) {
            return n
        }
        return 0
    }

    /// Polls until the server greets and answers `PING` (any reply line counts).
    static func waitForPing(
        _ target: BenchTarget, group: any EventLoopGroup, until deadline: ContinuousClock.Instant, process: Process
    ) async throws {
        let clock = ContinuousClock()
        while clock.now < deadline {
            guard process.isRunning else {
                throw BenchFailure("the server exited with status \(process.terminationStatus) before answering")
            }
            if let c = try? await PlyClient.connect(
                host: target.host, port: target.port, group: group, helloTimeout: .seconds(30))
            {
                let answered = (try? await c.request("PING")) != nil
                await c.close()
                if answered { return }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("the server did not answer PING on \(target) in time")
    }

    static func firstAccess(_ options: Options, group: any EventLoopGroup) async throws
        -> (samples: LatencySamples, errors: Int, loads: Int?, rss: Int?)
    {
        let c = try await PlyClient.connect(host: options.target.host, port: options.target.port, group: group)
        _ = try await c.authDevice("bench-cold-reader-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        var rng = SystemRandomNumberGenerator()
        let picks = ColdSeed.sample(options.sample, of: options.matches, using: &rng)
        var samples = LatencySamples()
        var errors = 0
        let clock = ContinuousClock()
        for n in picks {
            let t0 = clock.now
            let reply = try await c.request("MATCH \(ColdSeed.matchID(n))")
            let elapsed = clock.now - t0
            if case .ok = reply { samples.record(elapsed) } else { errors += 1 }
        }
        let stats = try? await c.stats()
        await c.close()
        return (samples, errors, stats?["match_loads"]?.intValue, stats?["rss_bytes"]?.intValue)
    }

    /// `/bin/sh -c command`, waited for with `waitpid`. (Foundation's `Process` never
    /// reports the end of a shell that leaves a daemon behind, as `pg_ctl restart` does.)
    static func runShell(_ command: String) throws -> Int32 {
        var pid = pid_t()
        let args = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
        guard spawned == 0 else { throw BenchFailure("cannot run /bin/sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // Exit status when it exited, 128 + signal when a signal ended it.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// SIGTERM (the server flushes and exits), SIGKILL after 20 s.
    static func stop(_ p: Process) {
        guard p.isRunning else { return }
        p.terminate()
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }
}

public struct BenchFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
