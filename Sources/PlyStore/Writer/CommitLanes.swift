import Logging
import PostgresNIO

/// Connections of the writer's own for group commits, so a batch costs one round trip (the
/// `CALL`) and no pool lease. A lane idle longer than `idleLimit` is replaced rather than
/// used (a server-side idle timeout may have ended it).
struct CommitLanes {
    let configuration: PostgresConnection.Configuration
    let idleLimit: Duration
    /// Lanes opened so far (a lane that fails or idles too long is replaced).
    private(set) var opened = 0
    private var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []

    /// How the lanes name themselves to PostgreSQL (`pg_stat_activity.application_name`).
    static let applicationName = "ply commit lane"

    init(configuration: PostgresConnection.Configuration, idleLimit: Duration) {
        var c = configuration
        c.options.additionalStartupParameters.append(("application_name", Self.applicationName))
        self.configuration = c
        self.idleLimit = idleLimit
    }

    /// The most recently used idle lane that is still fresh, and the stale ones passed on
    /// the way (for the caller to close).
    mutating func takeIdle(now: ContinuousClock.Instant) -> (lane: PostgresConnection?, stale: [PostgresConnection]) {
        var stale: [PostgresConnection] = []
        while let (lane, since) = idle.popLast() {
            if !lane.isClosed && now - since < idleLimit { return (lane, stale) }
            stale.append(lane)
        }
        return (nil, stale)
    }

    /// A lane that finished a commit and may be used again.
    mutating func put(_ lane: PostgresConnection, now: ContinuousClock.Instant) {
        idle.append((lane, now))
    }

    /// Every idle lane, for closing at shutdown.
    mutating func takeAll() -> [PostgresConnection] {
        defer { idle = [] }
        return idle.map(\.connection)
    }

    /// The id of the next lane to open.
    mutating func nextID() -> Int {
        opened += 1
        return opened
    }
}
