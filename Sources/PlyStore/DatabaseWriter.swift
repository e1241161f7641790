import Foundation
import Logging
import PostgresNIO

/// How critical writes reach PostgreSQL.
public enum Durability: String, Sendable, CaseIterable {
    /// Group commit: while a transaction is in flight, new writes wait and share the next.
    case grouped
    /// Each write in its own transaction the moment it arrives, as a simple REST-plus-SQL
    /// backend would; the baseline the benchmarks compare against.
    case perMove = "per-move"
}

/// Why a critical write did not commit. Nothing of it is in the database.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the database is unreachable" }
}

public struct CommitFailure: Error, CustomStringConvertible {
    public var underlying: any Error
    public var description: String { "commit failed: \(String(reflecting: underlying))" }
    /// The writes may be durable after all: the `COMMIT` had left when the connection failed
    /// or timed out. Whoever holds their state in memory must read it back from the database.
    public var outcomeUnknown: Bool { underlying is CommitOutcomeUnknown }
}

/// A `COMMIT` was sent and no answer came (the connection failed or timed out): the
/// transaction may or may not be durable, and only reading it back can tell.
public struct CommitOutcomeUnknown: Error, CustomStringConvertible {
    public var underlying: any Error
    public var description: String { "no answer to COMMIT: \(String(reflecting: underlying))" }
}

/// The error PostgreSQL itself answered with (a statement it refused), looking inside the
/// wrappers of transactions and commits; nil when the server was not reached.
public func serverRefusal(in error: any Error) -> PSQLError? {
    switch error {
    case let e as PSQLError:
        return e.serverInfo != nil ? e : nil
    case let t as PostgresTransactionError:
        for inner in [t.closureError, t.beginError, t.commitError, t.rollbackError] {
            if let inner, let e = serverRefusal(in: inner) { return e }
        }
        return nil
    case let c as CommitFailure:
        return serverRefusal(in: c.underlying)
    default:
        return nil
    }
}

/// Executes the `WriteScheduler`'s decisions: commits critical writes (resuming each caller
/// only after its transaction committed), flushes lazy writes, and tells when the
/// database is unreachable so that critical writes fail fast instead of hanging.
public actor DatabaseWriter {
    struct Unit: Sendable {
        var writes: [CriticalWrite]
        var done: CheckedContinuation<Void, any Error>
    }

    /// The pool, for transactions of their own (per-move commits, lazy flushes, the probe).
    let database: LimitedClient
    let logger: Logger
    public nonisolated let durability: Durability
    /// Where group commits get their own connections (nil: from the pool, a transaction each).
    private let laneConfiguration: PostgresConnection.Configuration?
    /// Group-commit connections not in use.
    private var idleLanes: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
    /// Lanes opened so far (a lane that fails or idles too long is replaced).
    public private(set) var lanesOpened = 0
    /// A lane idle longer than this is replaced rather than used (a server-side idle timeout
    /// may have ended it).
    let laneIdleLimit: Duration
    private var schedule: WriteScheduler<Unit>
    private let start = ContinuousClock.now
    /// Longest a transaction may take before it counts as failed.
    let commitTimeout: Duration

    public private(set) var commits = 0
    public private(set) var rowsCommitted = 0
    public private(set) var failedCommits = 0
    public private(set) var lazyFlushes = 0
    public private(set) var lazyRowsFlushed = 0
    public private(set) var lazyRefused = 0
    public private(set) var lastCommitSeconds = 0.0
    /// How long the last 1,024 commits took, from handing them to PostgreSQL to its answer.
    private var commitDurations = RecentDurations(capacity: 1024)
    /// Every commit's duration since start, for percentiles over any window.
    public private(set) var commitHistogram = DurationHistogram()
    public private(set) var lastFlushSeconds = 0.0
    /// Set after a failure to reach the database; critical writes fail at once until a
    /// probe succeeds.
    public private(set) var databaseDown = false
    private var nextProbe = 0.0
    private var probeBackoff = 0.25
    private var wake: CheckedContinuation<Void, Never>?

    /// With `lanes`, group commits run on connections of their own (see `commitOnLane`);
    /// without, each takes a connection from the client's pool and opens a transaction.
    public init(
        client: PostgresClient, lanes: PostgresConnection.Configuration? = nil, durability: Durability = .grouped,
        criticalInFlight: Int = 1, configuration: WriteScheduler<Never>.Configuration = .init(),
        commitTimeout: Duration = .seconds(5), laneIdleLimit: Duration = .seconds(30), logger: Logger
    ) {
        self.laneIdleLimit = laneIdleLimit
        database = LimitedClient(client, limit: commitTimeout)
        self.laneConfiguration = durability == .grouped ? lanes : nil
        self.durability = durability
        var c = WriteScheduler<Unit>.Configuration()
        c.flushInterval = configuration.flushInterval
        c.maximumLazyAge = configuration.maximumLazyAge
        c.maximumBatch = configuration.maximumBatch
        c.maximumLazyRows = configuration.maximumLazyRows
        c.maximumCriticalInFlight = max(1, criticalInFlight)
        schedule = WriteScheduler(configuration: c)
        self.commitTimeout = commitTimeout
        self.logger = logger
    }

    private var now: Double {
        (ContinuousClock.now - start).seconds
    }

    /// Percentiles of the recent commits' durations, in milliseconds.
    public func recentCommits() -> LatencySummary { commitDurations.summary() }

    /// Critical writes waiting for the next transaction.
    public var waiting: Int { schedule.critical.count }
    /// Lazy rows not yet flushed.
    public var lazyWaiting: Int { schedule.lazyCount }
    public func hasPendingLazy(player: String) -> Bool { schedule.hasPendingLazy(player: player) }

    /// Returns once the writes are committed; throws `CommitFailure` if they are not (and
    /// then nothing of them is in the database).
    public func commit(_ writes: [CriticalWrite]) async throws {
        guard !writes.isEmpty else { return }
        if databaseDown { throw CommitFailure(underlying: DatabaseUnavailable()) }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let unit = Unit(writes: writes, done: c)
            switch durability {
            case .perMove:
                Task { await self.runAlone(unit) }
            case .grouped:
                for d in schedule.enqueueCritical(unit, now: now) { begin(d) }
            }
        }
    }

    /// Queues hot, low-value state; acknowledged at once. False if the queue is full.
    @discardableResult
    public func lazy(_ write: LazyWrite) -> Bool {
        let ok = schedule.enqueueLazy(write, now: now)
        if !ok {
            lazyRefused += 1
            logger.warning("lazy write refused: queue full", metadata: ["key": "\(write.key)"])
        }
        return ok
    }

    /// Runs the flush timer and the reconnection probe until cancelled.
    public func run() async {
        while !Task.isCancelled {
            if databaseDown && now >= nextProbe { await probe() }
            if !databaseDown { for d in schedule.tick(now: now) { begin(d) } }
            let t = now
            let next = min(schedule.nextWake(now: t) ?? t + 0.25, t + 0.25)
            try? await Task.sleep(for: .milliseconds(max(5, Int((next - t) * 1000))))
        }
    }

    /// Flushes every lazy write now (shutdown); gives up after `timeout` if the database
    /// stays away. Returns whether everything was written.
    @discardableResult
    public func flushAll(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            // Lazy writes only: a commit still in flight here was abandoned by a stop past its
            // time limit, and its callers are gone (its own time limit ends it).
            if schedule.lazyCount == 0 && schedule.lazyInFlight == nil { return true }
            if databaseDown && now >= nextProbe { await probe() }
            if !databaseDown { for d in schedule.drain(now: now) { begin(d) } }
            try? await Task.sleep(for: .milliseconds(10))
        }
        logger.error(
            "lazy writes left unflushed at shutdown",
            metadata: [
                "rows": "\(schedule.lazyCount)", "flushing": "\(schedule.lazyInFlight?.count ?? 0)",
                "commits_in_flight": "\(schedule.criticalInFlight)", "database_down": "\(databaseDown)",
            ])
        return false
    }

    private func begin(_ d: WriteScheduler<Unit>.Decision) {
        Task { await self.run(d) }
    }

    private func run(_ d: WriteScheduler<Unit>.Decision) async {
        switch d {
        case .critical(let batch):
            do {
                try await execute(batch.flatMap(\.writes))
                for u in batch { u.done.resume() }
            } catch {
                if batch.count == 1 || databaseDown {
                    for u in batch { u.done.resume(throwing: CommitFailure(underlying: error)) }
                } else {
                    // One bad write must not sink the others: retry each on its own.
                    logger.warning("group commit failed; retrying writes one by one", metadata: ["error": "\(error)"])
                    for u in batch { await runAlone(u) }
                }
            }
            for next in schedule.criticalFinished(now: now) { begin(next) }
        case .lazy(let writes):
            var failed = false
            logger.debug("lazy flush", metadata: ["rows": "\(writes.count)"])
            do {
                let started = ContinuousClock.now
                try await database.withConnection { [logger] conn in
                    try await conn.withTransaction(logger: logger) { conn in
                        try await Self.applyLazy(writes, on: conn, logger: logger)
                    }
                }
                lastFlushSeconds = Self.seconds(ContinuousClock.now - started)
                lazyFlushes += 1
                lazyRowsFlushed += writes.count
                logger.debug("lazy flush done", metadata: ["rows": "\(writes.count)"])
            } catch {
                failed = true
                noteFailure(error)
                logger.warning("lazy flush failed; kept for retry", metadata: ["rows": "\(writes.count)", "error": "\(error)"])
            }
            for next in schedule.lazyFinished(now: now, failed: failed, retryAfter: probeBackoff) { begin(next) }
        }
    }

    private func runAlone(_ unit: Unit) async {
        do {
            try await execute(unit.writes)
            unit.done.resume()
        } catch {
            unit.done.resume(throwing: CommitFailure(underlying: error))
        }
    }

    private func execute(_ writes: [CriticalWrite]) async throws {
        let started = ContinuousClock.now
        do {
            // One CALL of `ply_commit_v1`, which commits inside: its reply comes once the
            // batch is durable (see `commit(_:on:logger:)`).
            if laneConfiguration != nil {
                try await commitOnLane(writes)
            } else {
                // Past the time limit with the CALL possibly sent, the outcome is unknown.
                try await database.withConnection(late: Self.lateCommit) { [logger] conn in
                    try await Self.commit(writes, on: conn, logger: logger)
                }
            }
        } catch {
            failedCommits += 1
            noteFailure(error)
            throw error
        }
        lastCommitSeconds = Self.seconds(ContinuousClock.now - started)
        commitDurations.record(seconds: lastCommitSeconds)
        commitHistogram.record(milliseconds: lastCommitSeconds * 1000)
        commits += 1
        rowsCommitted += writes.reduce(0) { $0 + $1.rows }
    }

    // MARK: commit lanes

    /// One group commit on a lane: a connection of the writer's own, so a batch costs one
    /// round trip (the `CALL`) and no pool lease. A lane that fails is closed, unless
    /// PostgreSQL merely refused the batch (which leaves the connection as it was).
    private func commitOnLane(_ writes: [CriticalWrite]) async throws {
        let lane = try await takeLane()
        do {
            try await limited(lane) { [logger] in
                try await Self.commit(writes, on: lane, logger: logger)
            }
            idleLanes.append((lane, .now))
        } catch {
            if serverRefusal(in: error) != nil, !lane.isClosed {
                idleLanes.append((lane, .now))
            } else {
                try? await lane.close()
            }
            throw error
        }
    }

    /// An idle lane, or a new connection.
    private func takeLane() async throws -> PostgresConnection {
        while let (lane, since) = idleLanes.popLast() {
            if !lane.isClosed && ContinuousClock.now - since < laneIdleLimit { return lane }
            try? await lane.close()
        }
        guard var configuration = laneConfiguration else { preconditionFailure("no lane configuration") }
        configuration.options.additionalStartupParameters.append(("application_name", Self.laneApplicationName))
        lanesOpened += 1
        // The connection attempt has its own time limit (the configuration's connect timeout).
        return try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: lanesOpened,
            logger: logger
        ).get()
    }

    /// What a commit that outlived its time limit reports: unknown once it had a connection
    /// (the CALL may have been sent), unavailable before.
    @Sendable static func lateCommit(started: Bool) -> any Error {
        started ? CommitOutcomeUnknown(underlying: DatabaseUnavailable()) : DatabaseUnavailable()
    }

    /// How the lanes name themselves to PostgreSQL (`pg_stat_activity.application_name`).
    public static let laneApplicationName = "ply commit lane"

    /// Runs `body` on a lane within the commit time-out: past it the lane is closed and the
    /// commit's outcome is unknown, even if PostgresNIO never answers the call.
    private func limited(_ lane: PostgresConnection, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await LimitedClient.racing(lane, within: commitTimeout, late: { Self.lateCommit(started: true) }, body)
    }

    /// Closes the lanes (shutdown).
    public func closeLanes() async {
        let lanes = idleLanes
        idleLanes = []
        for (lane, _) in lanes { try? await lane.close() }
    }

    private func noteFailure(_ error: any Error) {
        // A server-side refusal (constraint, syntax) means the database is up.
        if serverRefusal(in: error) != nil { return }
        if !databaseDown {
            logger.error("database unreachable; critical writes fail fast until it returns", metadata: ["error": "\(error)"])
        }
        databaseDown = true
        nextProbe = now + probeBackoff
    }

    private func probe() async {
        do {
            try await database.withConnection { [logger] conn in
                _ = try await conn.query("SELECT 1", logger: logger)
            }
            databaseDown = false
            probeBackoff = 0.25
            logger.notice("database reachable again")
        } catch {
            logger.debug("database still unreachable", metadata: ["error": "\(error)", "next_probe_s": "\(probeBackoff * 2)"])
            probeBackoff = min(probeBackoff * 2, 5)
            nextProbe = now + probeBackoff
        }
    }

    static func seconds(_ d: Duration) -> Double { d.seconds }

    /// A batch sorted by table: new matches, their participants, and the changes.
    struct SortedBatch {
        var inserts: [MatchRow] = []
        var participants: [(String, String)] = []
        var updates: [MatchRow] = []
        var plies: [PlyRow] = []
        var stats: [StatsRow] = []

        init(_ writes: [CriticalWrite]) {
            var latest: [String: StatsRow] = [:]
            var order: [String] = []
            for w in writes {
                switch w {
                case .insertMatch(let m):
                    inserts.append(m)
                    for p in Set([m.creator] + (m.invitee.map { [$0] } ?? []) + m.seats) { participants.append((m.id, p)) }
                case .updateMatch(let m, let p):
                    updates.append(m)
                    if let p { participants.append((m.id, p)) }
                case .ply(let p): plies.append(p)
                case .stats(let s):
                    let key = s.player + "\u{0}" + s.game
                    if latest[key] == nil { order.append(key) }
                    latest[key] = s  // the latest figures win
                }
            }
            stats = order.compactMap { latest[$0] }
        }
    }

    /// The writes in one transaction of their own, in one round trip: a `CALL` of
    /// `ply_commit_v1` (Schema/005), which writes them and commits inside, so its reply comes
    /// once they are durable. `conn` must be outside any transaction. A failure other than
    /// PostgreSQL refusing the batch may have come after the commit: `CommitOutcomeUnknown`.
    static func commit(_ writes: [CriticalWrite], on conn: PostgresConnection, logger: Logger) async throws {
        do {
            _ = try await conn.execute(CommitBatch(SortedBatch(writes)), logger: logger)
        } catch where serverRefusal(in: error) == nil {
            throw CommitOutcomeUnknown(underlying: error)
        }
    }

    /// One `UPDATE players` for many players: `assignment` reads each player's value as `u.v`
    /// (sent as an array of `type`).
    private static func setPlayerColumn<Value: PostgresArrayEncodable>(
        _ assignment: String, _ rows: [(String, Value)], as type: String, on conn: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        _ = try await conn.query(
            """
            UPDATE players p SET \(unescaped: assignment)
            FROM unnest(\(rows.map(\.0))::text[], \(rows.map(\.1))::\(unescaped: type)[]) AS u(id, v)
            WHERE p.id = u.id AND p.deleted_at IS NULL
            """, logger: logger)
    }

    /// Email alerts of challenges: at most one outbox row per player in this many seconds,
    /// however many players challenge them.
    public static let challengeAlertSeconds = 3600.0

    /// Flushes lazy rows: one statement per kind of row. Rows of a deleted account are not
    /// written (a flush may run after the deletion it raced).
    static func applyLazy(_ writes: [LazyWrite], on conn: PostgresConnection, logger: Logger) async throws {
        var names: [(String, String)] = [], data: [(String, String)] = [], seen: [(String, Double)] = []
        var seqs: [(String, Int)] = [], notes: [NotificationRow] = [], reads: [(String, String, Double)] = []
        var queued: [(String, String, Double)] = [], unqueued: [(String, String)] = []
        for w in writes {
            switch w {
            case .name(let p, let n): names.append((p, n))
            case .data(let p, let j): data.append((p, j))
            case .lastSeen(let p, let at): seen.append((p, at.timeIntervalSince1970))
            case .eventSeq(let p, let s): seqs.append((p, s))
            case .notification(let n): notes.append(n)
            case .notificationSeen(let p, let id, let at): reads.append((p, id, at.timeIntervalSince1970))
            case .queued(let p, let k, let at): queued.append((p, k, at.timeIntervalSince1970))
            case .unqueued(let p, let k): unqueued.append((p, k))
            }
        }
        try await setPlayerColumn("name = u.v", names, as: "text", on: conn, logger: logger)
        try await setPlayerColumn("data = u.v::json", data, as: "text", on: conn, logger: logger)
        try await setPlayerColumn("last_seen_at = to_timestamp(u.v)", seen, as: "float8", on: conn, logger: logger)
        try await setPlayerColumn("event_seq = GREATEST(p.event_seq, u.v)", seqs, as: "int8", on: conn, logger: logger)
        if !notes.isEmpty {
            _ = try await conn.query(
                """
                INSERT INTO notifications (player_id, id, kind, match_id, created_at)
                SELECT u.p, u.id, u.kind, u.m, to_timestamp(u.at)
                FROM unnest(\(notes.map(\.player))::text[], \(notes.map(\.id))::text[], \(notes.map(\.kind))::text[],
                            \(notes.map(\.match))::text[], \(notes.map { $0.at.timeIntervalSince1970 })::float8[]) AS u(p, id, kind, m, at)
                JOIN players pl ON pl.id = u.p AND pl.deleted_at IS NULL
                ON CONFLICT (player_id, id) DO NOTHING
                """, logger: logger)
            let mail = notes.filter(\.email)
            if !mail.isEmpty {
                _ = try await conn.query(
                    """
                    INSERT INTO outbox (player_id, notification_id, email, kind, match_id)
                    SELECT DISTINCT ON (u.p, CASE WHEN u.kind = 'challenge' THEN '' ELSE u.id END) u.p, u.id, e.email, u.kind, u.m
                    FROM unnest(\(mail.map(\.player))::text[], \(mail.map(\.id))::text[], \(mail.map(\.kind))::text[],
                                \(mail.map(\.match))::text[]) WITH ORDINALITY AS u(p, id, kind, m, n)
                    JOIN emails e ON e.player_id = u.p
                    WHERE u.kind <> 'challenge' OR NOT EXISTS (
                        SELECT 1 FROM outbox o WHERE o.player_id = u.p AND o.kind = 'challenge'
                          AND o.created_at > now() - make_interval(secs => \(challengeAlertSeconds)))
                    ORDER BY u.p, CASE WHEN u.kind = 'challenge' THEN '' ELSE u.id END, u.n
                    ON CONFLICT (player_id, notification_id) DO NOTHING
                    """, logger: logger)
                _ = try await conn.query("NOTIFY ply_outbox", logger: logger)
            }
        }
        if !reads.isEmpty {
            _ = try await conn.query(
                """
                UPDATE notifications n SET read_at = to_timestamp(u.at)
                FROM unnest(\(reads.map(\.0))::text[], \(reads.map(\.1))::text[], \(reads.map(\.2))::float8[]) AS u(p, id, at)
                WHERE n.player_id = u.p AND n.id = u.id AND n.read_at IS NULL
                """, logger: logger)
        }
        if !queued.isEmpty {
            _ = try await conn.query(
                """
                INSERT INTO automatch (player_id, pairing_key, queued_at)
                SELECT u.p, u.k, to_timestamp(u.at)
                FROM unnest(\(queued.map(\.0))::text[], \(queued.map(\.1))::text[], \(queued.map(\.2))::float8[]) AS u(p, k, at)
                JOIN players pl ON pl.id = u.p AND pl.deleted_at IS NULL
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if !unqueued.isEmpty {
            _ = try await conn.query(
                """
                DELETE FROM automatch a USING unnest(\(unqueued.map(\.0))::text[], \(unqueued.map(\.1))::text[]) AS u(p, k)
                WHERE a.player_id = u.p AND a.pairing_key = u.k
                """, logger: logger)
        }
    }
}

/// The `CALL` of `ply_commit_v1` with a batch, column by column. Prepared once per
/// connection: parsing and planning a statement of this size for every commit cost
/// PostgreSQL more than running it, for a batch of 30 moves. It returns no rows, so an error
/// in any part fails the call itself.
struct CommitBatch: PostgresPreparedStatement {
    typealias Row = ()
    static let name = "ply_commit_v1"
    static let sql = "CALL ply_commit_v1(" + (1...38).map { "$\($0)" }.joined(separator: ", ") + ")"

    let batch: DatabaseWriter.SortedBatch

    init(_ batch: DatabaseWriter.SortedBatch) { self.batch = batch }

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 38)
        let n = MatchUpdateColumns(batch.inserts), inserts = batch.inserts
        Self.append(n, to: &b)
        b.append(inserts.map(\.game)); b.append(inserts.map(\.settings)); b.append(inserts.map(\.creator))
        b.append(inserts.map { $0.invitee ?? "" }); b.append(inserts.map { $0.createdAt.timeIntervalSince1970 })
        b.append(batch.participants.map(\.0)); b.append(batch.participants.map(\.1))
        Self.append(MatchUpdateColumns(batch.updates), to: &b)
        let plies = batch.plies
        b.append(plies.map(\.match)); b.append(plies.map(\.ply)); b.append(plies.map(\.move))
        b.append(plies.map { $0.playedAt.timeIntervalSince1970 })
        let s = StatsColumns(batch.stats)
        b.append(s.players); b.append(s.games); b.append(s.played); b.append(s.won); b.append(s.lost)
        b.append(s.drawn); b.append(s.rating); b.append(s.deviation); b.append(s.volatility)
        return b
    }

    private static func append(_ u: MatchUpdateColumns, to b: inout PostgresBindings) {
        b.append(u.ids); b.append(u.status); b.append(u.seats); b.append(u.plyCount); b.append(u.toMove)
        b.append(u.deadline); b.append(u.winner); b.append(u.reason); b.append(u.updated)
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// Match rows as the column arrays the set-based UPDATE unnests (empty text and -1 for null).
struct MatchUpdateColumns {
    let ids: [String], status: [String], seats: [String], plyCount: [Int], toMove: [String]
    let deadline: [Double], winner: [String], reason: [String], updated: [Double]

    init(_ rows: [MatchRow]) {
        ids = rows.map(\.id)
        status = rows.map(\.status.rawValue)
        seats = rows.map { $0.seats.joined(separator: ",") }
        plyCount = rows.map(\.plyCount)
        toMove = rows.map { $0.toMove ?? "" }
        deadline = rows.map { $0.deadline?.timeIntervalSince1970 ?? -1 }
        winner = rows.map { $0.resultWinner ?? "" }
        reason = rows.map { $0.resultReason ?? "" }
        updated = rows.map { $0.updatedAt.timeIntervalSince1970 }
    }
}

/// Stats rows as the column arrays the upsert unnests.
struct StatsColumns {
    let players: [String], games: [String], played: [Int], won: [Int], lost: [Int], drawn: [Int]
    let rating: [Double], deviation: [Double], volatility: [Double]

    init(_ rows: [StatsRow]) {
        players = rows.map(\.player)
        games = rows.map(\.game)
        played = rows.map(\.played)
        won = rows.map(\.won)
        lost = rows.map(\.lost)
        drawn = rows.map(\.drawn)
        rating = rows.map(\.rating)
        deviation = rows.map(\.deviation)
        volatility = rows.map(\.volatility)
    }
}
