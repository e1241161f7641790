import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Carries out the `WriteScheduler`'s decisions: commits critical writes (resuming each
/// caller only after its transaction committed), has lazy writes flushed, and fails critical
/// writes fast while the database is unreachable instead of letting them hang.
///
/// All its work runs in one task group owned by `run()`: each decision, the outage probe and
/// each timer is a child task submitted through `jobs`. Nothing polls: a timer is armed only
/// for the next moment the schedule or the probe needs (the oldest lazy write's flush time, a
/// retry, a probe), on the injected clock.
public actor DatabaseWriter {
    struct Unit: Sendable {
        var writes: [CriticalWrite]
        /// Resumed exactly once, by `committed` or by the shutdown's refusal (unchecked: a
        /// checked continuation is one more allocation for every move).
        var done: UnsafeContinuation<Void, any Error>
    }

    enum Job: Sendable {
        case critical([Unit])
        case lazy([LazyWrite])
        /// One unit in a transaction of its own (per-move durability, or a retry after a
        /// group commit failed).
        case alone(Unit)
        case probe
        case timer(at: Double)
    }

    let logger: Logger
    public nonisolated let durability: Durability
    /// Per-move commits on pooled connections (and group commits without lanes).
    private let database: LimitedClient
    /// Group commits' connections of their own (nil: each takes one from the pool).
    private let lanes: CommitLanes?
    private let flusher: LazyFlusher
    private let prober: OutageProbe
    private let clock: WriterClock
    /// The epoch sent with every commit and lazy flush; a write refused for it ends all
    /// writing (see `Fence`).
    public nonisolated let fence: Fence
    private var schedule: WriteScheduler<Unit>
    /// Longest a transaction may take before it counts as failed.
    let commitTimeout: Duration

    private let jobs: AsyncStream<Job>
    private let submitted: AsyncStream<Job>.Continuation
    /// The earliest timer armed and not yet fired.
    private var armedWake: Double?
    private var probing = false
    /// Shutdown: every lazy write goes out without waiting for its age.
    private var draining = false
    private var drainWaiters: [CheckedContinuation<Bool, Never>] = []

    public private(set) var commits = 0
    public private(set) var rowsCommitted = 0
    public private(set) var failedCommits = 0
    public private(set) var lazyFlushes = 0
    public private(set) var lazyRowsFlushed = 0
    public private(set) var lazyRefused = 0
    /// Timers that fired: with nothing to write, none do.
    public private(set) var wakeups = 0
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

    /// With `lanes`, group commits run on connections of their own (see `CommitLanes`);
    /// without, each takes a connection from the client's pool.
    public init(
        client: PostgresClient, lanes: PostgresConnection.Configuration? = nil, durability: Durability = .grouped,
        criticalInFlight: Int = 1, configuration: WriteScheduler<Never>.Configuration = .init(),
        commitTimeout: Duration = .seconds(5), laneIdleLimit: Duration = .seconds(30), clock: WriterClock = .continuous,
        fence: Fence = Fence(), logger: Logger
    ) {
        self.fence = fence
        database = LimitedClient(client, limit: commitTimeout)
        self.lanes =
            durability == .grouped
            ? lanes.map { CommitLanes(configuration: $0, idleLimit: laneIdleLimit, timeLimit: commitTimeout, logger: logger) }
            : nil
        flusher = LazyFlusher(database: database, logger: logger)
        prober = OutageProbe(database: database, logger: logger)
        self.durability = durability
        var c = WriteScheduler<Unit>.Configuration()
        c.flushInterval = configuration.flushInterval
        c.maximumLazyAge = configuration.maximumLazyAge
        c.maximumBatch = configuration.maximumBatch
        c.maximumLazyRows = configuration.maximumLazyRows
        c.maximumCriticalInFlight = max(1, criticalInFlight)
        schedule = WriteScheduler(configuration: c)
        self.commitTimeout = commitTimeout
        self.clock = clock
        self.logger = logger
        (jobs, submitted) = AsyncStream.makeStream(of: Job.self)
    }

    private var now: Double { clock.now() }

    /// Lanes opened so far.
    public var lanesOpened: Int { lanes?.opened ?? 0 }
    /// Percentiles of the recent commits' durations, in milliseconds.
    public func recentCommits() -> LatencySummary { commitDurations.summary() }
    /// Critical writes waiting for the next transaction.
    public var waiting: Int { schedule.critical.count }
    /// Lazy rows not yet in the database: waiting, or in a flush not yet finished.
    public var lazyWaiting: Int { schedule.lazyCount + (schedule.lazyInFlight?.count ?? 0) }
    public func hasPendingLazy(player: String) -> Bool { schedule.hasPendingLazy(player: player) }

    // MARK: requests

    /// Returns once the writes are committed; throws `CommitFailure` if they are not (and
    /// then nothing of them is in the database).
    public func commit(_ writes: [CriticalWrite]) async throws {
        guard !writes.isEmpty else { return }
        if fence.isLost { throw StoreError(.fenced) }
        if databaseDown { throw CommitFailure(underlying: DatabaseUnavailable()) }
        try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Void, any Error>) in
            let unit = Unit(writes: writes, done: c)
            switch durability {
            case .perMove:
                submit(.alone(unit))
            case .grouped:
                start(schedule.enqueueCritical(unit, now: now))
                metrics.queues(critical: schedule.critical.count, lazy: nil)
            }
        }
    }

    /// Queues hot, low-value state; acknowledged at once. False if the queue is full.
    @discardableResult
    public func lazy(_ write: LazyWrite) -> Bool {
        let ok = schedule.enqueueLazy(write, now: now)
        metrics.queues(critical: schedule.critical.count, lazy: schedule.lazyCount)
        if ok {
            if armedWake == nil { armTimer() }
        } else {
            lazyRefused += 1
            metrics.lazyWriteRefused()
            logger.warning("lazy write refused: queue full", metadata: ["key": "\(write.key)"])
        }
        return ok
    }

    // MARK: lifetime

    /// Runs the writer's work until `finish()` (then until the work in flight ends) or until
    /// cancelled, and closes the lanes. Called once.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask { await self.perform(job) }
            }
        }
        await lanes?.closeAll()
    }

    /// Ends `run()` once the work in flight is done; work asked for later fails.
    public func finish() {
        submitted.finish()
    }

    /// Flushes every lazy write now (shutdown); gives up after `timeout` if the database
    /// stays away. Returns whether everything was written.
    @discardableResult
    public func flushAll(timeout: Duration = .seconds(10)) async -> Bool {
        draining = true
        if !databaseDown { start(schedule.drain(now: now)) }
        if lazyDone { return true }
        let giveUpAt = now + timeout.seconds
        let flushed = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitUntilFlushed() }
            group.addTask { [clock] in
                try? await clock.sleepUntil(giveUpAt)
                await self.stopWaitingForFlush()
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !flushed {
            logger.error(
                "lazy writes left unflushed at shutdown",
                metadata: [
                    "rows": "\(schedule.lazyCount)", "flushing": "\(schedule.lazyInFlight?.count ?? 0)",
                    "commits_in_flight": "\(schedule.criticalInFlight)", "database_down": "\(databaseDown)",
                ])
        }
        return flushed
    }

    /// Closes the lanes (shutdown).
    public func closeLanes() async {
        await lanes?.closeAll()
    }

    private var lazyDone: Bool { schedule.lazyCount == 0 && schedule.lazyInFlight == nil }

    private func waitUntilFlushed() async -> Bool {
        if lazyDone { return true }
        return await withCheckedContinuation { drainWaiters.append($0) }
    }

    private func stopWaitingForFlush() {
        let waiters = drainWaiters
        drainWaiters = []
        for w in waiters { w.resume(returning: lazyDone) }
    }

    // MARK: jobs

    private func start(_ decisions: [WriteScheduler<Unit>.Decision]) {
        for d in decisions {
            switch d {
            case .critical(let batch): submit(.critical(batch))
            case .lazy(let writes): submit(.lazy(writes))
            }
        }
    }

    /// Hands a job to `run()`'s task group; after `finish()` the job fails at once.
    private func submit(_ job: Job) {
        if case .terminated = submitted.yield(job) { refuse(job) }
    }

    private func refuse(_ job: Job) {
        let stopped = CommitFailure(underlying: DatabaseUnavailable())
        switch job {
        case .critical(let batch):
            for u in batch { u.done.resume(throwing: stopped) }
            start(schedule.criticalFinished(now: now))
        case .alone(let u):
            u.done.resume(throwing: stopped)
        case .lazy(let writes):
            logger.error("lazy writes dropped: the writer has stopped", metadata: ["rows": "\(writes.count)"])
            start(schedule.lazyFinished(now: now))
        case .probe:
            probing = false
        case .timer:
            armedWake = nil
        }
    }

    /// Runs one job in `run()`'s task group. The calls to PostgreSQL run off the actor;
    /// each job then takes one turn on it to record the outcome and decide what comes next.
    private nonisolated func perform(_ job: Job) async {
        switch job {
        case .critical(let batch):
            let outcome = await attempt(batch.flatMap(\.writes))
            guard await committed(batch, outcome) else {
                // One bad write must not sink the others: retry each on its own.
                for u in batch { await committed(u, await attempt(u.writes)) }
                await batchDone()
                return
            }
        case .alone(let unit):
            await committed(unit, await attempt(unit.writes))
        case .lazy(let writes):
            let started = ContinuousClock.now
            do {
                try await flusher.flush(writes, epoch: fence.epoch)
                await flushed(writes, nil, seconds: (ContinuousClock.now - started).seconds)
            } catch {
                await flushed(writes, error, seconds: 0)
            }
        case .probe:
            await probed(answered: await prober.databaseAnswers())
        case .timer(let at):
            do {
                try await clock.sleepUntil(at)
            } catch {
                return  // cancelled: the writer is stopping
            }
            await fired(at: at)
        }
    }

    // MARK: timers

    /// Arms a timer for the next moment the schedule or the probe needs, unless an earlier
    /// one is armed already.
    private func armTimer() {
        var wake = schedule.nextWake(now: now)
        if outage.isDown && !probing { wake = min(wake ?? outage.nextProbe, outage.nextProbe) }
        guard let wake else { return }
        if let armed = armedWake, armed <= wake { return }
        armedWake = wake
        submit(.timer(at: wake))
    }

    private func fired(at: Double) {
        // A later timer that an earlier one superseded still fires; it finds nothing due.
        if armedWake == at { armedWake = nil }
        wakeups += 1
        if outage.probeDue(now: now) && !probing {
            probing = true
            submit(.probe)
        }
        if !databaseDown { start(draining ? schedule.drain(now: now) : schedule.tick(now: now)) }
        armTimer()
    }

    // MARK: critical writes

    struct Attempt: Sendable {
        var writes: [CriticalWrite]
        var error: (any Error)?
        var seconds: Double
    }

    /// One transaction of `writes`: one CALL of `ply_commit_v3`, which commits inside, so its
    /// reply comes once the batch is durable (see `commit(_:epoch:on:logger:)`).
    private nonisolated func attempt(_ writes: [CriticalWrite]) async -> Attempt {
        let started = ContinuousClock.now
        let epoch = fence.epoch
        do {
            if let lanes {
                try await lanes.commit(writes, epoch: epoch)
            } else {
                // Past the time limit with the CALL possibly sent, the outcome is unknown.
                try await database.withConnection(late: Self.lateCommit) { [logger] conn in
                    try await Self.commit(writes, epoch: epoch, on: conn, logger: logger)
                }
            }
            return Attempt(writes: writes, error: nil, seconds: (ContinuousClock.now - started).seconds)
        } catch {
            return Attempt(writes: writes, error: error, seconds: 0)
        }
    }

    /// A group commit's outcome. False when it failed and its units are to be retried one
    /// by one (then `batchDone()` follows).
    private func committed(_ batch: [Unit], _ a: Attempt) -> Bool {
        record(a)
        if let error = a.error {
            // Fenced, every write would be refused alike: no retry one by one.
            if batch.count > 1 && !databaseDown && !fence.isLost {
                logger.warning("group commit failed; retrying writes one by one", metadata: ["error": "\(error)"])
                return false
            }
            for u in batch { u.done.resume(throwing: CommitFailure(underlying: error)) }
        } else {
            for u in batch { u.done.resume() }
        }
        batchDone()
        return true
    }

    private func committed(_ unit: Unit, _ a: Attempt) {
        record(a)
        if let error = a.error {
            unit.done.resume(throwing: CommitFailure(underlying: error))
        } else {
            unit.done.resume()
        }
    }

    private func batchDone() {
        start(schedule.criticalFinished(now: now))
        recordQueues()
    }

    private func record(_ a: Attempt) {
        if let error = a.error {
            if Fence.isFenced(error) { fenced(error) }
            failedCommits += 1
            metrics.commitFailed()
            noteFailure(error)
            return
        }
        lastCommitSeconds = a.seconds
        commitDurations.record(seconds: a.seconds)
        commitHistogram.record(milliseconds: a.seconds * 1000)
        commits += 1
        let rows = a.writes.reduce(0) { $0 + $1.rows }
        rowsCommitted += rows
        metrics.committed(rows: rows, seconds: a.seconds)
    }

    /// What a commit that outlived its time limit reports: unknown once it had a connection
    /// (the CALL may have been sent), unavailable before.
    @Sendable static func lateCommit(started: Bool) -> any Error {
        started ? CommitOutcomeUnknown(underlying: DatabaseUnavailable()) : DatabaseUnavailable()
    }

    /// How the lanes name themselves to PostgreSQL (`pg_stat_activity.application_name`).
    public static let laneApplicationName = CommitLanes.applicationName

    // MARK: lazy writes

    private func flushed(_ writes: [LazyWrite], _ error: (any Error)?, seconds: Double) {
        // Fenced, the rows are dropped: another server writes now, over newer state.
        let dropped = error.map(Fence.isFenced) ?? false
        if dropped {
            fenced(error!)
            logger.error("lazy writes dropped: this server no longer holds the primary lease", metadata: ["rows": "\(writes.count)"])
        } else if let error {
            noteFailure(error)
            logger.warning("lazy flush failed; kept for retry", metadata: ["rows": "\(writes.count)", "error": "\(error)"])
        } else {
            lastFlushSeconds = seconds
            lazyFlushes += 1
            lazyRowsFlushed += writes.count
            metrics.flushed(rows: writes.count, seconds: seconds)
        }
        start(schedule.lazyFinished(now: now, failed: error != nil && !dropped, retryAfter: outage.backoff))
        recordQueues()
        if lazyDone { stopWaitingForFlush() }
        armTimer()
    }

    /// Publishes the queue lengths (after each change of the schedule).
    private func recordQueues() {
        metrics.queues(critical: schedule.critical.count, lazy: schedule.lazyCount)
    }

    // MARK: outages

    /// PostgreSQL refused a write for its epoch: another server took the lease.
    private func fenced(_ error: any Error) {
        if !fence.isLost {
            logger.critical("fenced: another server holds the primary lease; writing stops", metadata: ["epoch": "\(fence.epoch)"])
        }
        fence.lose()
    }

    /// Another path to the database (the lease's renewal, whose time limit is shorter than
    /// a commit's) could not reach it: the writer probes at once, and only if its probe gets
    /// no answer within the writer's own time limit is the database down (critical writes
    /// fail fast, `/healthz` says `database down`) until a later probe finds it again. An
    /// idle server learns of an outage this way; a short stall marks nothing.
    public func databaseUnreachable(_ error: any Error) {
        guard !outage.isDown, !probing, serverRefusal(in: error) == nil else { return }
        probing = true
        submit(.probe)
    }

    private func noteFailure(_ error: any Error) {
        // A server-side refusal (constraint, syntax) means the database is up.
        if serverRefusal(in: error) != nil { return }
        if outage.failed(now: now) {
            metrics.database(down: true)
            downFlag.store(true, ordering: .relaxed)
            logger.error("database unreachable; critical writes fail fast until it returns", metadata: ["error": "\(error)"])
            armTimer()
        }
    }

    private func probed(answered: Bool) {
        probing = false
        if answered {
            // Up all along, when `databaseUnreachable` asked for the probe: nothing changes.
            guard outage.isDown else { return armTimer() }
            outage.probeSucceeded()
            metrics.database(down: false)
            downFlag.store(false, ordering: .relaxed)
            logger.notice("database reachable again")
            start(draining ? schedule.drain(now: now) : schedule.tick(now: now))
        } else if !outage.isDown {
            noteFailure(DatabaseUnavailable())
        } else {
            outage.probeFailed(now: now)
        }
        armTimer()
    }
}
