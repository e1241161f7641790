import Logging
import PostgresNIO
import Synchronization

/// Connections of the writer's own for group commits, so a batch costs one round trip (the
/// `CALL`) and no pool lease. A lane idle longer than `idleLimit` is replaced rather than
/// used (a server-side idle timeout may have ended it); a lane that fails is closed, unless
/// PostgreSQL merely refused the batch (which leaves the connection as it was).
final class CommitLanes: Sendable {
    /// How the lanes name themselves to PostgreSQL (`pg_stat_activity.application_name`).
    static let applicationName = "ply commit lane"

    private struct State {
        var opened = 0
        /// After `closeAll()`: a lane coming back is closed, and no lane is opened.
        var closed = false
        var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
    }

    let configuration: PostgresConnection.Configuration
    let idleLimit: Duration
    /// Longest a commit may take: past it the lane is closed and the outcome is unknown.
    let timeLimit: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: PostgresConnection.Configuration, idleLimit: Duration, timeLimit: Duration, logger: Logger) {
        var c = configuration
        c.options.additionalStartupParameters.append(("application_name", Self.applicationName))
        self.configuration = c
        self.idleLimit = idleLimit
        self.timeLimit = timeLimit
        self.logger = logger
    }

    /// Lanes opened so far (a lane that fails or idles too long is replaced).
    var opened: Int { state.withLock { $0.opened } }

    /// One group commit on a lane, within the time limit.
    func commit(_ writes: [CriticalWrite], epoch: Int64) async throws {
        let lane = try await take()
        do {
            try await LimitedClient.racing(lane, within: timeLimit, late: { DatabaseWriter.lateCommit(started: true) }) {
                [logger] in
                try await DatabaseWriter.commit(writes, epoch: epoch, on: lane, logger: logger)
            }
            put(lane)
        } catch {
            if serverRefusal(in: error) != nil, !lane.isClosed {
                put(lane)
            } else {
                try? await lane.close()
            }
            throw error
        }
    }

    /// Closes the idle lanes, and each busy one as it comes back (shutdown).
    func closeAll() async {
        let idle = state.withLock { s in
            s.closed = true
            defer { s.idle = [] }
            return s.idle.map(\.connection)
        }
        for lane in idle { try? await lane.close() }
    }

    /// The most recently used idle lane that is still fresh, or a new connection.
    private func take() async throws -> PostgresConnection {
        let now = ContinuousClock.now
        let (lane, stale, id) = state.withLock { s -> (PostgresConnection?, [PostgresConnection], Int) in
            var stale: [PostgresConnection] = []
            if s.closed { return (nil, [], -1) }
            while let (lane, since) = s.idle.popLast() {
                if !lane.isClosed && now - since < idleLimit { return (lane, stale, 0) }
                stale.append(lane)
            }
            s.opened += 1
            return (nil, stale, s.opened)
        }
        for old in stale { try? await old.close() }
        if let lane { return lane }
        if id < 0 { throw DatabaseUnavailable() }
        // The connection attempt has its own time limit (the configuration's connect timeout).
        return try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: id, logger: logger
        ).get()
    }

    private func put(_ lane: PostgresConnection) {
        let now = ContinuousClock.now
        let kept = state.withLock { s in
            if !s.closed { s.idle.append((lane, now)) }
            return !s.closed
        }
        if !kept {
            let _: EventLoopFuture<Void> = lane.close()
        }
    }
}
