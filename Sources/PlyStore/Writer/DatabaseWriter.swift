import Foundation
import Logging
import PostgresNIO
import Synchronization

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
    /// Group commits' connections of their own (nil: each takes one from the pool).
    private var lanes: CommitLanes?
    /// Lanes opened so far.
    public var lanesOpened: Int { lanes?.opened ?? 0 }
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
    private let metrics = StoreMetrics()
    /// Whether the database is reachable, and when to probe it again.
    private var outage = OutageState()
    /// Set after a failure to reach the database; critical writes fail at once until a
    /// probe succeeds.
    public var databaseDown: Bool { outage.isDown }
    /// `databaseDown`, readable without a hop (for a health check).
    public nonisolated var isDown: Bool { downFlag.load(ordering: .relaxed) }
    private let downFlag = Atomic<Bool>(false)
    private var wake: CheckedContinuation<Void, Never>?

    /// With `lanes`, group commits run on connections of their own (see `commitOnLane`);
    /// without, each takes a connection from the client's pool and opens a transaction.
    public init(
        client: PostgresClient, lanes: PostgresConnection.Configuration? = nil, durability: Durability = .grouped,
        criticalInFlight: Int = 1, configuration: WriteScheduler<Never>.Configuration = .init(),
        commitTimeout: Duration = .seconds(5), laneIdleLimit: Duration = .seconds(30), logger: Logger
    ) {
        database = LimitedClient(client, limit: commitTimeout)
        self.lanes = durability == .grouped ? lanes.map { CommitLanes(configuration: $0, idleLimit: laneIdleLimit) } : nil
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
                metrics.queues(critical: schedule.critical.count, lazy: nil)
            }
        }
    }

    /// Queues hot, low-value state; acknowledged at once. False if the queue is full.
    @discardableResult
    public func lazy(_ write: LazyWrite) -> Bool {
        let ok = schedule.enqueueLazy(write, now: now)
        metrics.queues(critical: schedule.critical.count, lazy: schedule.lazyCount)
        if !ok {
            lazyRefused += 1
            metrics.lazyWriteRefused()
            logger.warning("lazy write refused: queue full", metadata: ["key": "\(write.key)"])
        }
        return ok
    }

    /// Runs the flush timer and the reconnection probe until cancelled.
    public func run() async {
        while !Task.isCancelled {
            if outage.probeDue(now: now) { await probe() }
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
            if outage.probeDue(now: now) { await probe() }
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
            recordQueues()
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
                lastFlushSeconds = (ContinuousClock.now - started).seconds
                lazyFlushes += 1
                lazyRowsFlushed += writes.count
                metrics.flushed(rows: writes.count, seconds: lastFlushSeconds)
                logger.debug("lazy flush done", metadata: ["rows": "\(writes.count)"])
            } catch {
                failed = true
                noteFailure(error)
                logger.warning("lazy flush failed; kept for retry", metadata: ["rows": "\(writes.count)", "error": "\(error)"])
            }
            for next in schedule.lazyFinished(now: now, failed: failed, retryAfter: outage.backoff) { begin(next) }
            recordQueues()
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
            if lanes != nil {
                try await commitOnLane(writes)
            } else {
                // Past the time limit with the CALL possibly sent, the outcome is unknown.
                try await database.withConnection(late: Self.lateCommit) { [logger] conn in
                    try await Self.commit(writes, on: conn, logger: logger)
                }
            }
        } catch {
            failedCommits += 1
            metrics.commitFailed()
            noteFailure(error)
            throw error
        }
        let took = ContinuousClock.now - started
        lastCommitSeconds = took.seconds
        commitDurations.record(seconds: lastCommitSeconds)
        commitHistogram.record(milliseconds: lastCommitSeconds * 1000)
        commits += 1
        let rows = writes.reduce(0) { $0 + $1.rows }
        rowsCommitted += rows
        metrics.committed(rows: rows, seconds: lastCommitSeconds)
    }

    /// Publishes the queue lengths (after each change of the schedule).
    private func recordQueues() {
        metrics.queues(critical: schedule.critical.count, lazy: schedule.lazyCount)
    }

    // MARK: commit lanes

    /// One group commit on a lane. A lane that fails is closed, unless PostgreSQL merely
    /// refused the batch (which leaves the connection as it was).
    private func commitOnLane(_ writes: [CriticalWrite]) async throws {
        let lane = try await takeLane()
        do {
            try await limited(lane) { [logger] in
                try await Self.commit(writes, on: lane, logger: logger)
            }
            lanes?.put(lane, now: .now)
        } catch {
            if serverRefusal(in: error) != nil, !lane.isClosed {
                lanes?.put(lane, now: .now)
            } else {
                try? await lane.close()
            }
            throw error
        }
    }

    /// An idle lane, or a new connection.
    private func takeLane() async throws -> PostgresConnection {
        guard let (lane, stale) = lanes?.takeIdle(now: .now), let configuration = lanes?.configuration,
            let id = lane == nil ? lanes?.nextID() : 0
        else { preconditionFailure("no lane configuration") }
        for old in stale { try? await old.close() }
        if let lane { return lane }
        // The connection attempt has its own time limit (the configuration's connect timeout).
        return try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: id, logger: logger
        ).get()
    }

    /// What a commit that outlived its time limit reports: unknown once it had a connection
    /// (the CALL may have been sent), unavailable before.
    @Sendable static func lateCommit(started: Bool) -> any Error {
        started ? CommitOutcomeUnknown(underlying: DatabaseUnavailable()) : DatabaseUnavailable()
    }

    /// How the lanes name themselves to PostgreSQL (`pg_stat_activity.application_name`).
    public static let laneApplicationName = CommitLanes.applicationName

    /// Runs `body` on a lane within the commit time-out: past it the lane is closed and the
    /// commit's outcome is unknown, even if PostgresNIO never answers the call.
    private func limited(_ lane: PostgresConnection, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await LimitedClient.racing(lane, within: commitTimeout, late: { Self.lateCommit(started: true) }, body)
    }

    /// Closes the lanes (shutdown).
    public func closeLanes() async {
        for lane in lanes?.takeAll() ?? [] { try? await lane.close() }
    }

    private func noteFailure(_ error: any Error) {
        // A server-side refusal (constraint, syntax) means the database is up.
        if serverRefusal(in: error) != nil { return }
        if outage.failed(now: now) {
            metrics.database(down: true)
            downFlag.store(true, ordering: .relaxed)
            logger.error("database unreachable; critical writes fail fast until it returns", metadata: ["error": "\(error)"])
        }
    }

    private func probe() async {
        do {
            try await database.withConnection { [logger] conn in
                _ = try await conn.query("SELECT 1", logger: logger)
            }
            outage.probeSucceeded()
            metrics.database(down: false)
            downFlag.store(false, ordering: .relaxed)
            logger.notice("database reachable again")
        } catch {
            outage.probeFailed(now: now)
            logger.debug("database still unreachable", metadata: ["error": "\(error)", "next_probe_s": "\(outage.backoff)"])
        }
    }

}
