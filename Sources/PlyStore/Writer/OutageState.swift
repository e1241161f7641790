/// Whether PostgreSQL is reachable, as the writer last found it, and when to look again.
/// Pure: the time comes in as an argument. After a failure to reach the database, critical
/// writes fail at once (instead of each waiting for its time limit) until a probe succeeds;
/// probes back off from a quarter of a second to five seconds.
public struct OutageState: Sendable {
    public private(set) var isDown = false
    public private(set) var nextProbe = 0.0
    /// Seconds to the next probe after a failure (also how long a failed lazy flush waits).
    public private(set) var backoff = 0.25

    public static let firstBackoff = 0.25
    public static let longestBackoff = 5.0

    public init() {}

    /// The database could not be reached at `now`; true when that is news (it was up).
    public mutating func failed(now: Double) -> Bool {
        let news = !isDown
        isDown = true
        nextProbe = now + backoff
        return news
    }

    /// Whether a probe is due.
    public func probeDue(now: Double) -> Bool { isDown && now >= nextProbe }

    public mutating func probeSucceeded() {
        isDown = false
        backoff = Self.firstBackoff
    }

    public mutating func probeFailed(now: Double) {
        backoff = min(backoff * 2, Self.longestBackoff)
        nextProbe = now + backoff
    }
}
