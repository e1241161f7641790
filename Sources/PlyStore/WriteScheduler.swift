/// Decides what reaches PostgreSQL and when. Pure: the time comes in as an argument and
/// decisions come out as values; `DatabaseWriter` executes them.
///
/// - Critical units (moves, matches, accounts) are group-committed: while a transaction is
///   in flight, new units wait and go together in the next one; a lone unit starts at once.
/// - Lazy writes are coalesced by row and flushed when nothing critical waits and the
///   oldest has waited `flushInterval`; past `maximumLazyAge` they go first, so they
///   cannot starve under constant critical load.
/// - At most `maximumCriticalInFlight` critical transactions and one lazy flush are in flight
///   at a time; with one critical slot this is classic group commit.
public struct WriteScheduler<Unit: Sendable>: Sendable {
    public enum Decision: Sendable {
        case critical([Unit])
        case lazy([LazyWrite])
    }

    public struct Configuration: Sendable {
        public var flushInterval = 1.0
        public var maximumLazyAge = 2.0
        public var maximumBatch = 1024
        /// Critical transactions in flight at once (each on its own connection).
        public var maximumCriticalInFlight = 1
        /// Distinct lazy rows held at most (during an outage they pile up, coalesced).
        public var maximumLazyRows = 1_000_000
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var critical: [Unit] = []
    private var lazy: [String: LazyWrite] = [:]
    /// Keys in first-queued order with the time each was first queued.
    private var lazyOrder: [(key: String, since: Double)] = []
    private var lazyOrderStart = 0
    private var pendingByPlayer: [String: Int] = [:]
    public private(set) var criticalInFlight = 0
    public private(set) var lazyInFlight: [LazyWrite]?
    /// No lazy flush before this time (after a failed flush, for backoff).
    public private(set) var lazyRetryAt = 0.0
    public private(set) var draining = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var lazyCount: Int { lazy.count }
    public var isIdle: Bool { criticalInFlight == 0 && lazyInFlight == nil && critical.isEmpty && lazy.isEmpty }
    public func hasPendingLazy(player: String) -> Bool { (pendingByPlayer[player] ?? 0) > 0 }

    // MARK: input

    public mutating func enqueueCritical(_ unit: Unit, now: Double) -> [Decision] {
        critical.append(unit)
        return decide(now: now)
    }

    /// Queues a lazy write, replacing an unflushed one for the same row. Returns false
    /// when the bound on distinct rows is reached and the write was refused.
    public mutating func enqueueLazy(_ write: LazyWrite, now: Double) -> Bool {
        let key = write.key
        if lazy[key] == nil {
            guard lazy.count < configuration.maximumLazyRows else { return false }
            lazyOrder.append((key, now))
            pendingByPlayer[write.player, default: 0] += 1
        }
        lazy[key] = write
        return true
    }

    /// A critical transaction ended (committed or not: its callers are told either way).
    public mutating func criticalFinished(now: Double) -> [Decision] {
        precondition(criticalInFlight > 0, "no critical transaction was in flight")
        criticalInFlight -= 1
        return decide(now: now)
    }

    /// The lazy flush ended. A failed one puts its writes back (unless newer ones for the
    /// same rows arrived meanwhile) and waits `retryAfter` seconds.
    public mutating func lazyFinished(now: Double, failed: Bool = false, retryAfter: Double = 1) -> [Decision] {
        guard let writes = lazyInFlight else { preconditionFailure("no lazy flush was in flight") }
        lazyInFlight = nil
        for w in writes {
            if failed && lazy[w.key] == nil {
                // Back in the queue, as old as it was: it goes first once the database returns.
                lazy[w.key] = w
                lazyOrder.append((w.key, now - configuration.maximumLazyAge))
                continue
            }
            // Flushed, or superseded by a newer write for the same row.
            pendingByPlayer[w.player, default: 1] -= 1
            if pendingByPlayer[w.player] == 0 { pendingByPlayer[w.player] = nil }
        }
        if failed { lazyRetryAt = now + retryAfter }
        return decide(now: now)
    }

    /// Called by the writer's timer.
    public mutating func tick(now: Double) -> [Decision] { decide(now: now) }

    /// Shutdown: flush every lazy write without waiting for its age.
    public mutating func drain(now: Double) -> [Decision] {
        draining = true
        lazyRetryAt = 0
        return decide(now: now)
    }

    /// When the timer should next look (nil: no lazy write waits for a time). A flush in
    /// flight decides again when it ends; a flush that is due but deferred behind critical
    /// writes goes out when they finish, or at the latest once the oldest write starves.
    public func nextWake(now: Double) -> Double? {
        guard lazyInFlight == nil, let oldest = oldestLazySince else { return nil }
        let due = oldest + configuration.flushInterval
        return max(now < due ? due : oldest + configuration.maximumLazyAge, lazyRetryAt)
    }

    // MARK: decisions

    private var oldestLazySince: Double? {
        var i = lazyOrderStart
        while i < lazyOrder.count {
            if lazy[lazyOrder[i].key] != nil { return lazyOrder[i].since }
            i += 1
        }
        return nil
    }

    private mutating func decide(now: Double) -> [Decision] {
        var out: [Decision] = []
        if lazyInFlight == nil, let oldest = oldestLazySince, now >= lazyRetryAt {
            let due = draining || now - oldest >= configuration.flushInterval
            let starving = draining || now - oldest >= configuration.maximumLazyAge
            if due && (starving || critical.isEmpty) {
                let writes = takeLazy()
                lazyInFlight = writes
                out.append(.lazy(writes))
            }
        }
        while criticalInFlight < configuration.maximumCriticalInFlight && !critical.isEmpty {
            let n = min(critical.count, configuration.maximumBatch)
            out.append(.critical(Array(critical.prefix(n))))
            critical.removeFirst(n)
            criticalInFlight += 1
        }
        return out
    }

    private mutating func takeLazy() -> [LazyWrite] {
        var out: [LazyWrite] = []
        while lazyOrderStart < lazyOrder.count && out.count < configuration.maximumBatch * 8 {
            let key = lazyOrder[lazyOrderStart].key
            lazyOrderStart += 1
            if let w = lazy.removeValue(forKey: key) { out.append(w) }
        }
        if lazyOrderStart > 4096 && lazyOrderStart * 2 > lazyOrder.count {
            lazyOrder.removeFirst(lazyOrderStart)
            lazyOrderStart = 0
        }
        return out
    }
}
