/// The durations of the last `capacity` events (group commits), for percentiles of the
/// recent past without keeping every sample: a ring, read by sorting a copy.
public struct RecentDurations: Sendable {
    public let capacity: Int
    private var ring: [Double] = []
    private var next = 0

    public init(capacity: Int = 1024) {
        precondition(capacity > 0, "a ring needs room")
        self.capacity = capacity
        ring.reserveCapacity(capacity)
    }

    public var count: Int { ring.count }

    /// Keeps `seconds`, dropping the oldest once full.
    public mutating func record(seconds: Double) {
        if ring.count < capacity {
            ring.append(seconds * 1000)
        } else {
            ring[next] = seconds * 1000
        }
        next = (next + 1) % capacity
    }

    /// Percentiles of the durations kept, in milliseconds.
    public func summary() -> LatencySummary { LatencySummary(sorted: ring.sorted()) }
}
