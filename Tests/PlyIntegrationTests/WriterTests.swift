import Foundation
import Logging
import PlyStore
import PostgresNIO
import Testing

/// The writer against a real PostgreSQL: a batch the database refuses must fail, never be
/// acknowledged.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"))
struct WriterTests {
    /// Both ways a group commit reaches PostgreSQL: a pooled connection per transaction, or
    /// a commit lane (a connection of its own, kept in an open transaction).
    @Test(arguments: [false, true])
    func aRefusedBatchFailsAndTheGoodWritesBesideItCommit(lanes: Bool) async throws {
        let url = try await TestDatabase.fresh()
        let logger = Logger(label: "ply.test.writer")
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            let writer = DatabaseWriter(client: client, lanes: lanes ? url.connectionConfiguration() : nil, logger: logger)
            group.addTask { await writer.run() }
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('w1', 'W')", logger: logger)
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let row = MatchRow(
                id: "wm1", game: "reversi", settings: "{}", status: "active", creator: "w1", invitee: nil,
                seats: ["w1", "w1"], createdAt: now, updatedAt: now)
            try await writer.commit([.insertMatch(row)])
            let good = PlyRow(match: "wm1", ply: 1, move: "f5", playedAt: now)
            try await writer.commit([.ply(good)])
            // The same ply again (primary key) and a ply of a match that does not exist
            // (foreign key): each alone, and together with a good write.
            await #expect(throws: CommitFailure.self) { try await writer.commit([.ply(good)]) }
            let orphan = PlyRow(match: "no-such-match", ply: 1, move: "f5", playedAt: now)
            await #expect(throws: CommitFailure.self) { try await writer.commit([.ply(orphan)]) }
            // Three at once: the ones that arrive while the first is in flight share a batch,
            // which fails and is retried write by write.
            let fine = Task { try await writer.commit([.ply(PlyRow(match: "wm1", ply: 2, move: "d6", playedAt: now))]) }
            let bad = Task { try await writer.commit([.ply(orphan)]) }
            let alsoFine = Task { try await writer.commit([.ply(PlyRow(match: "wm1", ply: 3, move: "c5", playedAt: now))]) }
            await #expect(throws: CommitFailure.self) { try await bad.value }
            try await fine.value
            try await alsoFine.value
            var plies: [Int] = []
            for try await n in try await client.query("SELECT ply FROM plies WHERE match_id = 'wm1' ORDER BY ply", logger: logger).decode(Int.self) {
                plies.append(n)
            }
            #expect(plies == [1, 2, 3])
            await writer.closeLanes()
            group.cancelAll()
        }
    }

    /// A commit lane whose connection PostgreSQL ended while it sat idle: the next commits
    /// either fail (and are not in the database) or commit on a new lane (and are), never a
    /// false acknowledgement; within a few seconds commits succeed again.
    @Test func aLaneEndedByTheServerIsReplacedWithoutAFalseAcknowledgement() async throws {
        let url = try await TestDatabase.fresh()
        let logger = Logger(label: "ply.test.writer")
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            let writer = DatabaseWriter(client: client, lanes: url.connectionConfiguration(), logger: logger)
            group.addTask { await writer.run() }
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('w1', 'W')", logger: logger)
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            try await writer.commit([.insertMatch(MatchRow(
                id: "lm1", game: "reversi", settings: "{}", status: "active", creator: "w1", invitee: nil,
                seats: ["w1", "w1"], createdAt: now, updatedAt: now))])
            try await writer.commit([.ply(PlyRow(match: "lm1", ply: 1, move: "f5", playedAt: now))])
            // The lane waits inside its open transaction; end it from another session.
            var ended = 0
            for try await n in try await client.query(
                """
                SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'idle in transaction'
                """, logger: logger
            ).decode(Int.self) { ended = n }
            #expect(ended == 1)
            var acknowledged: [Int] = [1], refused: [Int] = []
            var ply = 2
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline && acknowledged.count < 4 {
                do {
                    try await writer.commit([.ply(PlyRow(match: "lm1", ply: ply, move: "d6", playedAt: now))])
                    acknowledged.append(ply)
                } catch {
                    refused.append(ply)
                    try await Task.sleep(for: .milliseconds(100))
                }
                ply += 1
            }
            #expect(acknowledged.count == 4, "commits succeed again once the lane is replaced")
            var stored: [Int] = []
            for try await n in try await client.query("SELECT ply FROM plies WHERE match_id = 'lm1' ORDER BY ply", logger: logger).decode(Int.self) {
                stored.append(n)
            }
            #expect(stored == acknowledged, "refused: \(refused)")
            await writer.closeLanes()
            group.cancelAll()
        }
    }

    /// A lane left idle past its limit is closed and a new one opened for the next commit, so
    /// a lane a server-side idle timeout may have ended is never used; busy lanes are reused.
    @Test func aLaneIdlePastItsLimitIsReplaced() async throws {
        let url = try await TestDatabase.fresh()
        let logger = Logger(label: "ply.test.writer")
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            let writer = DatabaseWriter(
                client: client, lanes: url.connectionConfiguration(), laneIdleLimit: .seconds(1), logger: logger)
            group.addTask { await writer.run() }
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('w1', 'W')", logger: logger)
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            try await writer.commit([.insertMatch(MatchRow(
                id: "im1", game: "reversi", settings: "{}", status: "active", creator: "w1", invitee: nil,
                seats: ["w1", "w1"], createdAt: now, updatedAt: now))])
            for ply in 1...3 {
                try await writer.commit([.ply(PlyRow(match: "im1", ply: ply, move: "f5", playedAt: now))])
            }
            #expect(await writer.lanesOpened == 1, "back-to-back commits share one lane")
            try await Task.sleep(for: .milliseconds(1500))
            try await writer.commit([.ply(PlyRow(match: "im1", ply: 4, move: "d6", playedAt: now))])
            #expect(await writer.lanesOpened == 2, "the idle lane was replaced")
            // The old lane's connection is closed: once its backend has exited (it does so a
            // moment after the client closes), one lane in its open transaction remains.
            var lanes = 0
            for _ in 0..<50 {
                for try await n in try await client.query(
                    """
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND state = 'idle in transaction'
                    """, logger: logger
                ).decode(Int.self) { lanes = n }
                if lanes == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(lanes == 1)
            var count = 0
            for try await n in try await client.query("SELECT count(*)::int FROM plies WHERE match_id = 'im1'", logger: logger).decode(Int.self) {
                count = n
            }
            #expect(count == 4)
            await writer.closeLanes()
            group.cancelAll()
        }
    }

    /// A lane whose server stops answering (its backend is suspended with SIGSTOP, as a
    /// network black hole would look): the commit fails within the commit time-out instead of
    /// waiting for an answer that does not come, nothing of it is stored, and once the
    /// database answers again commits go through on a new lane.
    @Test func aCommitOnALaneThatStopsAnsweringFailsInTime() async throws {
        let url = try await TestDatabase.fresh()
        let logger = Logger(label: "ply.test.writer")
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator.migrate(client, migrations: try Migration.bundled(), logger: logger)
            let writer = DatabaseWriter(
                client: client, lanes: url.connectionConfiguration(), commitTimeout: .seconds(1), logger: logger)
            group.addTask { await writer.run() }
            _ = try await client.query("INSERT INTO players (id, name) VALUES ('w1', 'W')", logger: logger)
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            try await writer.commit([.insertMatch(MatchRow(
                id: "sm1", game: "reversi", settings: "{}", status: "active", creator: "w1", invitee: nil,
                seats: ["w1", "w1"], createdAt: now, updatedAt: now))])
            try await writer.commit([.ply(PlyRow(match: "sm1", ply: 1, move: "f5", playedAt: now))])
            var pid: Int32 = 0
            for try await p in try await client.query(
                """
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'idle in transaction'
                """, logger: logger
            ).decode(Int32.self) { pid = p }
            try #require(pid > 0)
            try #require(kill(pid, SIGSTOP) == 0, "cannot suspend the lane's backend")
            let started = ContinuousClock.now
            do {
                try await writer.commit([.ply(PlyRow(match: "sm1", ply: 2, move: "d6", playedAt: now))])
                Issue.record("a commit on a suspended backend was acknowledged")
            } catch {}
            let waited = ContinuousClock.now - started
            kill(pid, SIGCONT)
            #expect(waited < .seconds(4), "the commit waited \(waited) for a backend that does not answer")
            // The database answers again: commits go through (on a new lane) within seconds.
            var committed = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !committed && ContinuousClock.now < deadline {
                do {
                    try await writer.commit([.ply(PlyRow(match: "sm1", ply: 2, move: "d6", playedAt: now))])
                    committed = true
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(committed)
            var stored: [Int] = []
            for try await n in try await client.query("SELECT ply FROM plies WHERE match_id = 'sm1' ORDER BY ply", logger: logger).decode(Int.self) {
                stored.append(n)
            }
            #expect(stored == [1, 2])
            await writer.closeLanes()
            group.cancelAll()
        }
    }
}
