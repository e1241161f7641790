import Foundation
import Logging
import PlyBench
import PlyClient
import PlyJSON
@testable import PlyStore
import PostgresNIO
import Synchronization
import Testing

/// The primary lease and fencing against a real PostgreSQL, in process: who takes the lease
/// and when, and that a writer whose epoch was taken over writes nothing.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct LeaseTests {
    static func withLease(
        failover: Double = 2, _ body: (DatabaseURL, @escaping @Sendable (String) -> PrimaryLease, Logger) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedClient("ply.test.lease") { url, client, logger in
            try await body(
                url, { PrimaryLease(client: client, holder: $0, timing: LeaseTiming(failoverSeconds: failover), logger: logger) },
                logger)
        }
    }

    /// The timing keeps its promise for every allowed failover time: a takeover comes within
    /// it, and the holder renews several times per lifetime.
    @Test(arguments: [0.5, 1, 2, 5, 30, 600])
    func takeoverComesWithinTheFailoverTime(seconds: Double) {
        let t = LeaseTiming(failoverSeconds: seconds)
        #expect(t.worstTakeover <= seconds)
        #expect(t.lifetime / t.renewEvery >= 5)
        #expect(t.pollEvery > 0 && t.pollEvery <= 0.1)
    }

    /// One holder at a time: the lease is taken while free or expired (each take a new
    /// epoch), renewed only by its epoch, and free at once when released.
    @Test func oneHolderAtATimeEachWithANewEpoch() async throws {
        // Two seconds: each call's time limit is half a lifetime (0.75 s here), room for this
        // disk's flush stalls under the whole suite's load.
        try await Self.withLease(failover: 2) { _, lease, _ in
            let a = lease("a"), b = lease("b")
            #expect(try await a.tryTake() == .taken(epoch: 1))
            guard case .held(let by, _) = try await b.tryTake() else {
                Issue.record("b took a lease a holds")
                return
            }
            #expect(by == "a")
            #expect(try await a.renew(epoch: 1))
            // Not renewed past its lifetime (1.5 s): b takes it, and a's renewal fails.
            try await Task.sleep(for: .milliseconds(1700))
            #expect(try await b.tryTake() == .taken(epoch: 2))
            #expect(try await !a.renew(epoch: 1))
            // Released: a takes it back at once.
            try await b.release(epoch: 2)
            #expect(try await a.tryTake() == .taken(epoch: 3))
        }
    }

    /// Two servers asking at the same moment: exactly one gets the lease.
    @Test func racingTakersGetOneLease() async throws {
        // Eight takers queue on one row, each waiting for the last one's commit: a long
        // failover time gives each call a time limit (1.9 s) that the queue fits in.
        try await Self.withLease(failover: 5) { _, lease, _ in
            let outcomes = try await withThrowingTaskGroup(of: PrimaryLease.Attempt.self) { group in
                for i in 0..<8 { group.addTask { try await lease("racer \(i)").tryTake() } }
                var all: [PrimaryLease.Attempt] = []
                for try await o in group { all.append(o) }
                return all
            }
            #expect(outcomes.filter { if case .taken = $0 { true } else { false } }.count == 1)
        }
    }

    /// A writer whose epoch another server took over commits nothing and drops its lazy
    /// writes; the refusal is `fenced`, and the writer's fence says the lease is lost.
    @Test(arguments: [false, true])
    func aFencedWriterWritesNothing(lanes: Bool) async throws {
        let fence = Fence()
        try await WriterTests.withWriter(lanes: lanes, fence: fence) { f in
            let lease = PrimaryLease(client: f.client, holder: "old", timing: LeaseTiming(failoverSeconds: 1), logger: f.logger)
            guard case .taken(let epoch) = try await lease.tryTake() else {
                Issue.record("the lease was not free")
                return
            }
            fence.hold(epoch: epoch)
            try await f.writer.commit([f.ply(1)])
            // Another server takes over once the lease expires (a lifetime of 0.75 s).
            try await Task.sleep(for: .milliseconds(900))
            let other = PrimaryLease(client: f.client, holder: "new", timing: LeaseTiming(failoverSeconds: 5), logger: f.logger)
            #expect(try await other.tryTake() == .taken(epoch: epoch + 1))
            await #expect {
                try await f.writer.commit([f.ply(2, "d6")])
            } throws: { StoreError.classify($0)?.code == .fenced }
            #expect(fence.isLost)
            #expect(try await f.storedPlies() == [1])
            // A later commit fails at once; a lazy write is dropped, not retried.
            await #expect { try await f.writer.commit([f.ply(2, "d6")]) } throws: { StoreError.classify($0)?.code == .fenced }
            _ = try await f.client.query("INSERT INTO players (id, name) VALUES ('w2', 'before')", logger: f.logger)
            await f.writer.lazy(.name(player: "w2", name: "after"))
            #expect(await f.writer.flushAll(timeout: .seconds(5)))
            #expect(await f.writer.lazyWaiting == 0)
            let names = try await f.ints("SELECT count(*) FROM players WHERE id = 'w2' AND name = 'before'")
            #expect(names == [1], "the lazy write was applied over the new primary's state")
        }
    }

    /// The epoch check is in the commit's transaction: a takeover waits for a commit that
    /// passed it, so nothing commits between a takeover and the new primary's reads.
    @Test func aTakeoverWaitsForACommitInFlight() async throws {
        // A long failover time gives the takeover a time limit (22.5 s) that a loaded host
        // meets while the test watches it wait; the lease is made to expire at once instead
        // of after its lifetime.
        try await Self.withLease(failover: 60) { url, lease, logger in
            guard case .taken(let epoch) = try await lease("old").tryTake() else {
                Issue.record("the lease was not free")
                return
            }
            try await query(url, "UPDATE ply_lease SET expires_at = now() - interval '1 second' RETURNING epoch::text")
            // A transaction that passed the check and has not committed yet.
            let held = try await PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.any(), configuration: url.connectionConfiguration(), id: 1,
                logger: logger
            ).get()
            do {
                _ = try await held.query("BEGIN", logger: logger)
                _ = try await held.query("SELECT ply_check_epoch(\(epoch))", logger: logger)
                let done = DoneFlag()
                // Within its time limit (half a lifetime), the takeover waits for the row lock.
                let takeover = Task {
                    defer { done.flag.store(true, ordering: .releasing) }
                    return try await lease("new").tryTake()
                }
                try await waitFor(
                    url, "SELECT pid::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                    count: 1)
                let finishedEarly = done.flag.load(ordering: .acquiring)
                #expect(!finishedEarly, "the takeover did not wait for the commit in flight")
                _ = try await held.query("COMMIT", logger: logger)
                #expect(try await takeover.value == .taken(epoch: epoch + 1))
            } catch {
                Issue.record(error)
            }
            try await held.close()
        }
    }
}

private final class DoneFlag: Sendable {
    let flag = Atomic<Bool>(false)
}

/// Two and three real `ply serve` processes on loopback against one PostgreSQL database:
/// a standby turns play away until the primary dies or stops, then takes over within
/// `--failover-seconds`; a primary that was paused past its lease commits nothing when it
/// wakes and stops; clients follow with `AUTH SESSION`.
@Suite(
    .enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"),
    .timeLimit(.minutes(3)), .serialized)
struct FailoverTests {
    static let failover = 3.0

    /// One `ply serve` with the lease, as a child process.
    struct Node {
        let process: Process
        let port: Int
        let http: Int
        let exited: AsyncStream<Void>
        var address: PlyAddress { PlyAddress(host: "127.0.0.1", port: port) }
        var pid: Int32 { process.processIdentifier }

        func health() async -> String? { await HealthTests.health(http).map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) } }

        /// Waits until `/healthz` answers `word`; the seconds it took, or nil after `limit`.
        func waitHealth(_ word: String, limit: Double = 15) async throws -> Double? {
            let start = ContinuousClock.now
            while (ContinuousClock.now - start).seconds < limit {
                if await health() == word { return (ContinuousClock.now - start).seconds }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        /// The exit status, waiting `seconds` at most (then the process is killed: nil).
        func exitStatus(within seconds: Double) async -> Int32? {
            let pid = self.pid
            let killed = DoneFlag()
            let watchdog = Task {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                killed.flag.store(true, ordering: .releasing)
                kill(pid, SIGKILL)
            }
            for await _ in exited {}
            watchdog.cancel()
            return killed.flag.load(ordering: .acquiring) ? nil : process.terminationStatus
        }
    }

    static func start(_ url: DatabaseURL, standby: Bool) throws -> Node {
        let port = freePort(), http = freePort()
        let p = try serveProcess(
            port: port, databaseURL: "\(url)",
            environment: [
                "PLY_LEASE": "1", "PLY_STANDBY": standby ? "1" : "0", "PLY_FAILOVER_SECONDS": "\(failover)",
                "PLY_HTTP_PORT": String(http),
            ])
        let exited = p.exitWatch()
        try p.run()
        return Node(process: p, port: port, http: http, exited: exited)
    }

    /// Runs `body` with a primary and `standbys` standbys on a fresh database, each ready;
    /// every process still running afterwards is killed.
    static func withNodes(standbys: Int = 1, _ body: (DatabaseURL, Node, [Node]) async throws -> Void) async throws {
        let url = try await TestDatabase.fresh()
        let primary = try start(url, standby: false)
        var nodes = [primary]
        defer { for n in nodes where n.process.isRunning { kill(n.pid, SIGKILL) } }
        try #require(try await primary.waitHealth("ok") != nil, "the primary never became ready")
        var waiting: [Node] = []
        for _ in 0..<standbys {
            let s = try start(url, standby: true)
            nodes.append(s)
            try #require(try await s.waitHealth("standby") != nil, "the standby never started")
            waiting.append(s)
        }
        try await body(url, primary, waiting)
    }

    /// What the database holds: the number of plies.
    static func storedPlies(_ url: DatabaseURL) async throws -> Int {
        let logger = Logger(label: "ply.test.failover")
        let conn = try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: url.connectionConfiguration(), id: 1, logger: logger
        ).get()
        var n = 0
        for try await c in try await conn.query("SELECT count(*)::int FROM plies", logger: logger).decode(Int.self) { n = c }
        try await conn.close()
        return n
    }

    /// A standby turns line, WebSocket and HTTP play away with `ERR unavailable standby`.
    /// Then, under a stream of moves through both addresses, `kill -9` of the primary: the
    /// standby takes over within the failover time, the players resume there, and every
    /// move acknowledged by either server is stored once, in its place.
    @Test func kill9UnderLoadTheStandbyTakesOverAndNothingAcknowledgedIsLost() async throws {
        try await Self.withNodes { url, primary, standbys in
            let standby = standbys[0]
            let line = try await TestClient.connect(port: standby.port, expectHello: false)
            #expect(try await line.nextLine() == "ERR unavailable standby")
            #expect(await line.isClosed())
            let ws = try await WebSocketTestClient.connect(port: standby.http, expectHello: false)
            #expect(try await ws.reply() == "ERR unavailable standby")
            #expect(await ws.isClosed())
            #expect(await HealthTests.health(standby.http).map(\.0) == 503)
            // A client given the standby first goes on to the primary.
            let client = try await PlyClient.connect(addresses: [standby.address, primary.address])
            #expect(client.port == primary.port)
            await client.close()

            let players = HonestPlayers(addresses: [primary.address, standby.address], matches: 4)
            let load = Task { try await players.play(until: .now + .seconds(6)) }
            try await Task.sleep(for: .seconds(2))
            let beforeKill = try await Self.storedPlies(url)
            kill(primary.pid, SIGKILL)
            let takeover = try await standby.waitHealth("ok")
            let seconds = try #require(takeover, "the standby never took over")
            #expect(seconds <= Self.failover, "took over after \(seconds) s")
            let acknowledged = try await load.value
            let check = try await players.verify(acknowledged, device: "failover-checker")
            #expect(check.findings == [])
            #expect(check.verified == check.acknowledged)
            #expect(beforeKill > 0)
            #expect(try await Self.storedPlies(url) > beforeKill, "the standby took no moves after the takeover")
        }
    }

    /// A primary stopped (SIGSTOP) past its lease: the standby takes over; woken (SIGCONT),
    /// the old primary commits nothing, not even the move it finds waiting on a socket, and
    /// exits with an error. The move is then played on the new primary as ply 1.
    @Test func aPausedPrimaryCommitsNothingWhenItWakesAndStops() async throws {
        try await Self.withNodes { url, primary, standbys in
            let x = try await TestClient.connect(port: primary.port)
            let y = try await TestClient.connect(port: primary.port)
            let xo = try await x.authDevice("paused-primary-x"), yo = try await y.authDevice("paused-primary-y")
            let created = try await x.ok("CHALLENGE \(yo.player) reversi {\"side\":\"first\"}")
            let match = try #require(created.objectValue?["match"]?.stringValue)
            _ = try await y.ok("ACCEPT \(match)")

            kill(primary.pid, SIGSTOP)
            let takeover = try await standbys[0].waitHealth("ok")
            #expect(takeover != nil, "the standby never took over")
            try await x.send("MOVE \(match) 1 f5")
            kill(primary.pid, SIGCONT)
            let answer = try? await x.nextLine(timeout: .seconds(10))
            #expect(answer?.hasPrefix("OK") != true, "the fenced primary acknowledged a move: \(answer ?? "")")
            let status = await primary.exitStatus(within: 20)
            #expect(status != nil && status != 0, "the fenced primary did not stop with an error (\(String(describing: status)))")
            #expect(try await Self.storedPlies(url) == 0)

            let again = try await TestClient.connect(port: standbys[0].port)
            _ = try await again.ok("AUTH SESSION \(xo.session)")
            let played = try await again.ok("MOVE \(match) 1 f5")
            #expect(played.objectValue?["ply"]?.intValue == 1)
            #expect(played.objectValue?["duplicate"] == nil)
        }
    }

    /// SIGTERM of the primary hands over: it finishes, releases the lease, and the standby
    /// takes over well under a second later; both players resume there and play on.
    @Test func sigtermHandsOverAndPlayersResume() async throws {
        try await Self.withNodes { _, primary, standbys in
            let addresses = [primary.address, standbys[0].address]
            let a = try await PlyClient.connect(addresses: addresses)
            let b = try await PlyClient.connect(addresses: addresses)
            _ = try await a.authDevice("handover-player-a")
            let bo = try await b.authDevice("handover-player-b")
            let match = try #require(try await a.callObject("CHALLENGE \(bo.player) reversi {\"side\":\"first\"}")["match"]?.stringValue)
            _ = try await b.call("ACCEPT \(match)")
            _ = try await a.move(match: match, ply: 1, move: "f5")
            _ = try await b.move(match: match, ply: 2, move: "d6")

            kill(primary.pid, SIGTERM)
            let takeover = try await standbys[0].waitHealth("ok")
            let seconds = try #require(takeover, "the standby never took over")
            #expect(seconds < 1.5, "took over \(seconds) s after SIGTERM")
            #expect(await primary.exitStatus(within: 20) == 0)

            for c in [a, b] {
                var resumed: PlyResumed?
                for _ in 0..<50 where resumed == nil {
                    resumed = try? await c.resume()
                    if resumed == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(resumed != nil, "a player could not resume on the new primary")
                #expect(c.port == standbys[0].port)
            }
            #expect(try await a.move(match: match, ply: 3, move: "c3")["ply"]?.intValue == 3)
            #expect(try await a.stats()["lease_epoch"]?.intValue == 2, "the new primary writes under the next epoch")
            let m = try await b.callObject("MATCH \(match)")
            #expect(m["moves"]?.arrayValue?.compactMap(\.stringValue) == ["f5", "d6", "c3"])
            await a.close()
            await b.close()
        }
    }

    /// Two standbys, and the primary dies: exactly one takes over, and stays the only one.
    @Test func ofTwoStandbysExactlyOneTakesOver() async throws {
        try await Self.withNodes(standbys: 2) { _, primary, standbys in
            kill(primary.pid, SIGKILL)
            var ok: [Int] = []
            let start = ContinuousClock.now
            while ok.isEmpty, (ContinuousClock.now - start).seconds < 10 {
                for (i, s) in standbys.enumerated() where await s.health() == "ok" { ok.append(i) }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(ok.count == 1)
            try await Task.sleep(for: .seconds(2 * Self.failover))
            let states = await [standbys[0].health(), standbys[1].health()]
            #expect(states.filter { $0 == "ok" }.count == 1, "\(states)")
            #expect(states.filter { $0 == "standby" }.count == 1, "\(states)")
        }
    }

    /// A second server started without `--standby` waits for the lease too, with its line
    /// port closed and `/healthz` at `starting`; a waiting server stops cleanly on SIGTERM,
    /// standby or not.
    @Test func waitingServersStopCleanly() async throws {
        try await Self.withNodes { url, primary, standbys in
            let plain = try Self.start(url, standby: false)
            defer { if plain.process.isRunning { kill(plain.pid, SIGKILL) } }
            #expect(try await plain.waitHealth("starting") != nil)
            #expect((try? await TestClient.connect(port: plain.port)) == nil, "no play while another server holds the lease")
            for node in [plain, standbys[0]] {
                kill(node.pid, SIGTERM)
                #expect(await node.exitStatus(within: 20) == 0)
            }
            #expect(await primary.health() == "ok")
        }
    }
}
