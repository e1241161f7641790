import PlyStore

/// Latencies kept whole, so percentiles are exact. A bench run records at most a few
/// hundred thousand samples (8 bytes each), which is cheaper than getting a histogram's
/// bucket boundaries right and needs no dependency.
public struct LatencySamples: Sendable, Hashable {
    public private(set) var milliseconds: [Double] = []

    public init() {}

    public init(milliseconds: [Double]) { self.milliseconds = milliseconds }

    public var count: Int { milliseconds.count }

    public mutating func record(_ elapsed: Duration) {
        milliseconds.append(Self.milliseconds(elapsed))
    }

    public mutating func record(milliseconds value: Double) {
        milliseconds.append(value)
    }

    public mutating func merge(_ other: LatencySamples) {
        milliseconds.append(contentsOf: other.milliseconds)
    }

    /// The percentiles a report needs, from one sort.
    public func summary() -> LatencySummary {
        LatencySummary(sorted: milliseconds.sorted())
    }

    public static func milliseconds(_ d: Duration) -> Double {
        d.seconds * 1000
    }
}
