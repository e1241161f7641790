import Foundation
import Logging
import PlyStore
import PostgresNIO
import Synchronization
import Testing

/// Waits for good: a call whose answer never comes (it ignores cancellation, too).
func never() async {
    let parked = Mutex<[CheckedContinuation<Void, Never>]>([])
    await withCheckedContinuation { c in parked.withLock { $0.append(c) } }
}

/// The writer against a real PostgreSQL: a batch the database refuses must fail, never be
/// acknowledged; a commit lane that dies, idles or stops answering is replaced; a pooled
/// connection that stops answering fails its call in time.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct WriterTests {
    /// A running writer on a fresh, migrated database holding player `w1` and the active
    /// match `match` (committed through the writer).
    struct Fixture {
        let writer: DatabaseWriter
        let client: PostgresClient
        let logger: Logger
        let match: String
        let now = Date(timeIntervalSince1970: 1_700_000_000)

        func ply(_ n: Int, _ move: String = "f5", match: String? = nil) -> CriticalWrite {
            .ply(PlyRow(match: match ?? self.match, ply: n, move: move, playedAt: now))
        }

        /// The first column of every row, as integers. Through `LimitedClient`, as the server
        /// reads: the pool is the writer's, whose time limit closes connections under it, and a
        /// query PostgresNIO is handed on a connection that has just closed is never answered.
        func ints(_ sql: String) async throws -> [Int] {
            var out: [Int] = []
            let rows = try await LimitedClient(client, limit: .seconds(10)).query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await n in rows.decode(Int.self) { out.append(n) }
            return out
        }

        let url: DatabaseURL
        var laneConfiguration: PostgresConnection.Configuration { url.connectionConfiguration() }

        func storedPlies() async throws -> [Int] {
            try await ints("SELECT ply FROM plies WHERE match_id = '\(match)' ORDER BY ply")
        }

        /// The backends of this database serving commit lanes.
        func idleLanePIDs() async throws -> [Int] {
            try await ints(
                """
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = '\(DatabaseWriter.laneApplicationName)'
                """)
        }

        /// Every backend of this database serving a client (the pool's connections, lanes).
        func clientBackendPIDs() async throws -> [Int32] {
            try await ints(
                """
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend'
                """
            ).map { Int32($0) }
        }
    }

    static func withWriter(
        lanes: Bool = true, durability: Durability = .grouped, commitTimeout: Duration = .seconds(5),
        laneIdleLimit: Duration = .seconds(30), clock: WriterClock = .continuous, fence: Fence = Fence(),
        _ body: (Fixture) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedClient("ply.test.writer") { url, client, logger in
            let writer = DatabaseWriter(
                client: client, lanes: lanes ? url.connectionConfiguration() : nil, durability: durability,
                commitTimeout: commitTimeout, laneIdleLimit: laneIdleLimit, clock: clock, fence: fence, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await writer.run() }
                _ = try await client.query("INSERT INTO players (id, name) VALUES ('w1', 'W')", logger: logger)
                let f = Fixture(writer: writer, client: client, logger: logger, match: "wm1", url: url)
                try await writer.commit([.insertMatch(MatchRow(
                    id: f.match, game: "reversi", settings: "{}", status: .active, creator: "w1", invitee: nil,
                    seats: ["w1", "w1"], createdAt: f.now, updatedAt: f.now))])
                try await body(f)
                await writer.closeLanes()
                group.cancelAll()
            }
        }
    }

    /// Both ways a group commit reaches PostgreSQL: a pooled connection per transaction, or
    /// a commit lane (a connection of its own).
    @Test(arguments: [false, true])
    func aRefusedBatchFailsAndTheGoodWritesBesideItCommit(lanes: Bool) async throws {
        try await Self.withWriter(lanes: lanes) { f in
            try await f.writer.commit([f.ply(1)])
            // The same ply again (primary key) and a ply of a match that does not exist
            // (foreign key): each alone, and together with good writes.
            await #expect(throws: CommitFailure.self) { try await f.writer.commit([f.ply(1)]) }
            let orphan = f.ply(1, match: "no-such-match")
            await #expect(throws: CommitFailure.self) { try await f.writer.commit([orphan]) }
            // Three at once: the ones that arrive while the first is in flight share a batch,
            // which fails and is retried write by write.
            let fine = Task { try await f.writer.commit([f.ply(2, "d6")]) }
            let bad = Task { try await f.writer.commit([orphan]) }
            let alsoFine = Task { try await f.writer.commit([f.ply(3, "c5")]) }
            await #expect(throws: CommitFailure.self) { try await bad.value }
            try await fine.value
            try await alsoFine.value
            #expect(try await f.storedPlies() == [1, 2, 3])
        }
    }

    /// Waits (a few seconds at most) until `condition` holds.
    static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("never happened: \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The writer's timers run on its injected clock and only when the schedule needs them:
    /// none while no lazy write waits, one that fires exactly when the oldest is due.
    @Test func lazyWritesFlushWhenTheirTimeComesAndNothingPolls() async throws {
        let clock = ManualClock()
        try await Self.withWriter(clock: WriterClock(clock)) { f in
            #expect(clock.sleeping == 0, "nothing lazy waits: no timer")
            await f.writer.lazy(.name(player: "w1", name: "Renamed"))
            await f.writer.lazy(.name(player: "w1", name: "Renamed again"))
            try await Self.until("a timer is armed") { clock.sleeping == 1 }
            clock.advance(by: .milliseconds(999))
            // Sleepers due are resumed inside `advance`: one still asleep is one not due yet.
            #expect(clock.sleeping == 1, "the timer is not due before the flush interval")
            #expect(await f.writer.wakeups == 0)
            #expect(await f.writer.lazyWaiting == 1, "not due before its flush interval")
            clock.advance(by: .milliseconds(1))
            try await Self.until("the flush") { await f.writer.lazyFlushes == 1 }
            #expect(try await f.ints("SELECT count(*)::int FROM players WHERE name = 'Renamed again'") == [1])
            #expect(await f.writer.wakeups == 1)
            #expect(clock.sleeping == 0, "nothing waits: no timer again")
        }
    }

    /// Commits until four are acknowledged (or ten seconds pass), from ply `first` on;
    /// returns the plies acknowledged.
    static func commitUntilAcknowledged(_ f: Fixture, from first: Int) async throws -> [Int] {
        var acknowledged: [Int] = []
        var ply = first
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && acknowledged.count < 4 {
            do {
                try await f.writer.commit([f.ply(ply, "d6")])
                acknowledged.append(ply)
            } catch {
                try await Task.sleep(for: .milliseconds(100))
            }
            ply += 1
        }
        return acknowledged
    }

    /// A commit lane whose connection PostgreSQL ended while it sat idle: the next commits
    /// either fail (and are not in the database) or commit on a new lane (and are), never a
    /// false acknowledgement; within a few seconds commits succeed again.
    @Test func aLaneEndedByTheServerIsReplacedWithoutAFalseAcknowledgement() async throws {
        try await Self.withWriter { f in
            try await f.writer.commit([f.ply(1)])
            // The lane waits for the next batch; end it from another session.
            let ended = try await f.ints(
                """
                SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = '\(DatabaseWriter.laneApplicationName)'
                """)
            #expect(ended == [1])
            let acknowledged = try await Self.commitUntilAcknowledged(f, from: 2)
            #expect(acknowledged.count == 4, "commits succeed again once the lane is replaced")
            #expect(try await f.storedPlies() == [1] + acknowledged)
        }
    }

    /// A lane left idle past its limit is closed and a new one opened for the next commit, so
    /// a lane a server-side idle timeout may have ended is never used; busy lanes are reused.
    @Test func aLaneIdlePastItsLimitIsReplaced() async throws {
        try await Self.withWriter(laneIdleLimit: .seconds(1)) { f in
            for ply in 1...3 { try await f.writer.commit([f.ply(ply)]) }
            #expect(await f.writer.lanesOpened == 1, "back-to-back commits share one lane")
            try await Task.sleep(for: .milliseconds(1500))
            try await f.writer.commit([f.ply(4, "d6")])
            #expect(await f.writer.lanesOpened == 2, "the idle lane was replaced")
            // The old lane's connection is closed: once its backend has exited (it does so a
            // moment after the client closes), one lane remains.
            var lanes = 0
            for _ in 0..<50 {
                lanes = try await f.idleLanePIDs().count
                if lanes == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(lanes == 1)
            #expect(try await f.storedPlies() == [1, 2, 3, 4])
        }
    }

    /// A lane whose server stops answering (its backend is suspended with SIGSTOP, as a
    /// network black hole would look): the commit fails within the commit time-out instead of
    /// waiting for an answer that does not come, and says its outcome is unknown (the `CALL`,
    /// which commits inside, had left: the backend may run it once it wakes). Once the
    /// database answers again commits go through on a new lane, and nothing acknowledged is
    /// missing.
    @Test func aCommitOnALaneThatStopsAnsweringFailsInTime() async throws {
        try await Self.withWriter(commitTimeout: .seconds(1)) { f in
            try await f.writer.commit([f.ply(1)])
            let pids = try await f.idleLanePIDs()
            try #require(pids.count == 1)
            let pid = Int32(pids[0])
            try #require(kill(pid, SIGSTOP) == 0, "cannot suspend the lane's backend")
            let started = ContinuousClock.now
            var failure: CommitFailure?
            do {
                try await f.writer.commit([f.ply(2, "d6")])
                Issue.record("a commit on a suspended backend was acknowledged")
            } catch let e as CommitFailure { failure = e }
            let waited = ContinuousClock.now - started
            kill(pid, SIGCONT)
            #expect(waited < .seconds(4), "the commit waited \(waited) for a backend that does not answer")
            #expect(failure?.outcomeUnknown == true, "\(String(describing: failure))")
            try await Self.expectAcknowledgedAfterUnknown(f)
        }
    }

    /// After a commit of ply 2 with an unknown outcome: commits go through again within
    /// seconds (from ply 3), and the stored plies are ply 1, maybe ply 2, and every one
    /// acknowledged.
    static func expectAcknowledgedAfterUnknown(_ f: Fixture) async throws {
        let acknowledged = try await Self.commitUntilAcknowledged(f, from: 3)
        #expect(acknowledged.count == 4)
        let stored = try await f.storedPlies()
        #expect(stored == [1] + acknowledged || stored == [1, 2] + acknowledged, "stored \(stored), acknowledged \(acknowledged)")
    }

    /// The same on a pooled connection (the `per-move` durability): every backend of the
    /// database is suspended, so the commit's pooled connection stops answering mid-call.
    /// The commit fails within the time-out instead of waiting on TCP, with an unknown
    /// outcome, and once the backends answer again commits go through.
    @Test func aPerMoveCommitOnAConnectionThatStopsAnsweringFailsInTime() async throws {
        try await Self.withWriter(lanes: false, durability: .perMove, commitTimeout: .seconds(1)) { f in
            try await f.writer.commit([f.ply(1)])
            let pids = try await f.clientBackendPIDs()
            try #require(!pids.isEmpty)
            for pid in pids { kill(pid, SIGSTOP) }
            let started = ContinuousClock.now
            var acknowledged = false
            var failure: CommitFailure?
            do {
                try await f.writer.commit([f.ply(2, "d6")])
                acknowledged = true
            } catch let e as CommitFailure { failure = e }
            let waited = ContinuousClock.now - started
            for pid in pids { kill(pid, SIGCONT) }
            #expect(!acknowledged, "a commit on a suspended backend was acknowledged")
            #expect(failure?.outcomeUnknown == true, "\(String(describing: failure))")
            #expect(waited < .seconds(4), "the commit waited \(waited) for a backend that does not answer")
            try await Self.expectAcknowledgedAfterUnknown(f)
        }
    }

    /// A lazy flush whose pooled connection stops answering fails within the time-out (the
    /// writer then knows the database is away) and its rows stay queued: once the database
    /// answers again they are written.
    @Test func aLazyFlushOnAConnectionThatStopsAnsweringFailsInTimeAndIsKept() async throws {
        try await Self.withWriter(lanes: false, commitTimeout: .seconds(1)) { f in
            let pids = try await f.clientBackendPIDs()
            try #require(!pids.isEmpty)
            for pid in pids { kill(pid, SIGSTOP) }
            let queued = await f.writer.lazy(.name(player: "w1", name: "Later"))
            // The flush starts within a second (the flush interval) and must fail a second later.
            var noticed = false
            for _ in 0..<40 where !noticed {
                try? await Task.sleep(for: .milliseconds(100))
                noticed = await f.writer.databaseDown
            }
            for pid in pids { kill(pid, SIGCONT) }
            #expect(queued)
            #expect(noticed, "the flush did not fail within its time-out")
            var stored = 0
            for _ in 0..<100 where stored == 0 {
                stored = (try? await f.ints("SELECT count(*)::int FROM players WHERE id = 'w1' AND name = 'Later'"))?.first ?? 0
                if stored == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(stored == 1, "the lazy write was lost")
        }
    }

    /// A commit PostgreSQL makes durable only after the writer stopped waiting (a deferred
    /// trigger sleeps inside `COMMIT` past the time-out): the writer cannot know the outcome
    /// and says so (`outcomeUnknown`), rather than "nothing was stored" — which here would be
    /// false, as the row shows once the sleep ends.
    @Test(arguments: [false, true])
    func aCommitWhoseAnswerDoesNotComeHasAnUnknownOutcome(lanes: Bool) async throws {
        try await Self.withWriter(lanes: lanes, commitTimeout: .seconds(1)) { f in
            try await f.writer.commit([f.ply(1)])
            try await Self.slowCommits(f, forMove: "slow", seconds: 2)
            do {
                try await f.writer.commit([f.ply(2, "slow")])
                Issue.record("a commit that outlived its time-out was acknowledged")
            } catch let failure as CommitFailure {
                #expect(failure.outcomeUnknown, "\(failure)")
            }
            var stored: [Int] = []
            for _ in 0..<50 where stored != [1, 2] {
                try await Task.sleep(for: .milliseconds(100))
                stored = try await f.storedPlies()
            }
            #expect(stored == [1, 2], "the transaction was durable after all")
        }
    }

    /// A failure before `COMMIT` leaves nothing stored, and says so.
    @Test func aRefusedBatchHasAKnownOutcome() async throws {
        try await Self.withWriter { f in
            try await f.writer.commit([f.ply(1)])
            do {
                try await f.writer.commit([f.ply(1, "d6")])
                Issue.record("a duplicate ply was acknowledged")
            } catch let failure as CommitFailure {
                #expect(!failure.outcomeUnknown)
            }
        }
    }

    /// A call that never returns — PostgresNIO drops a query written to a connection that has
    /// just closed, so its caller would wait forever — is answered at the time limit: a pooled
    /// call with `late(started)`, a call on a connection of the caller's own with `late()`.
    @Test func aCallThatNeverReturnsIsAnsweredAtTheTimeLimit() async throws {
        try await Self.withWriter { f in
            let limited = LimitedClient(f.client, limit: .milliseconds(500))
            let started = ContinuousClock.now
            do {
                try await limited.withConnection(late: { LateCall(started: $0) }) { _ in await never() }
                Issue.record("a call that never returns returned")
            } catch let late as LateCall {
                #expect(late.started, "the call had a connection")
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            // The connection went back closed; the pool serves the next call (given time to
            // open a new connection on a busy host).
            #expect(try await LimitedClient(f.client, limit: .seconds(10)).withConnection { conn in
                try await conn.query("SELECT 1", logger: f.logger).collect().count
            } == 1)

            let lane = try await PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.any(), configuration: f.laneConfiguration, id: 900,
                logger: f.logger
            ).get()
            let onLane = ContinuousClock.now
            do {
                try await LimitedClient.racing(lane, within: .milliseconds(500), late: { LateCall(started: true) }) { await never() }
                Issue.record("a call that never returns returned")
            } catch is LateCall {}
            #expect(ContinuousClock.now - onLane < .seconds(3))
            #expect(lane.isClosed, "the connection is closed at the deadline")
        }
    }

    struct LateCall: Error { var started: Bool }

    /// Makes the `COMMIT` of any transaction that stores `move` take `seconds`.
    static func slowCommits(_ f: Fixture, forMove move: String, seconds: Int) async throws {
        for sql in slowCommitStatements(seconds: seconds, when: "NEW.move = '\(move)'") {
            _ = try await f.client.query(PostgresQuery(unsafeSQL: sql), logger: f.logger)
        }
    }
}
