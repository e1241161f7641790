/// Percentiles of a set of latencies, in milliseconds; nil when there were no samples.
public struct LatencySummary: Sendable, Hashable {
    private let sorted: [Double]

    public init(sorted: [Double]) { self.sorted = sorted }

    public var count: Int { sorted.count }

    /// Nearest rank: the smallest sample with at least `p` percent of all samples at or
    /// below it. Unlike interpolation it always names a latency that really happened.
    public func percentile(_ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        // Less a hair, since 99.9 / 100 * 1000 is 999.0000000000001 in binary floating point.
        let rank = (p / 100 * Double(sorted.count) - 1e-9).rounded(.up)
        let index = Swift.min(Swift.max(Int(rank), 1), sorted.count) - 1
        return sorted[index]
    }

    public var p50: Double? { percentile(50) }
    public var p99: Double? { percentile(99) }
    public var p999: Double? { percentile(99.9) }
    public var max: Double? { sorted.last }
}
