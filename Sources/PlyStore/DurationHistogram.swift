import Foundation

/// Every duration since start, counted in logarithmic buckets (20 a decade, each about 12%
/// wide, from 10 µs to 100 s), so that percentiles over any window can be read from two
/// snapshots: the later one minus the earlier one. `STATS` exports it for the group commits;
/// `ply bench moves` reads it before and after a run to give the commit latencies of the run.
public struct DurationHistogram: Sendable, Equatable {
    public static let bucketsPerDecade = 20
    /// The first bucket's upper bound, in milliseconds (10 µs).
    public static let smallest = 0.01
    /// Buckets up to 100 s; longer durations fall in the last one.
    public static let bucketCount = 7 * bucketsPerDecade + 1

    public private(set) var counts: [Int]
    /// The longest duration recorded, exactly.
    public private(set) var maximum: Double = 0

    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The upper bound of bucket `i`, in milliseconds, to three significant digits.
    public static func upperBound(_ i: Int) -> Double {
        let raw = smallest * pow10(Double(i) / Double(bucketsPerDecade))
        return roundSignificant(raw)
    }

    /// The bucket holding `milliseconds`: the first whose upper bound is not below it.
    public static func bucket(for milliseconds: Double) -> Int {
        guard milliseconds > smallest else { return 0 }
        let exact = (log10(milliseconds / smallest) * Double(bucketsPerDecade)).rounded(.up)
        var i = min(Int(exact), bucketCount - 1)
        // Rounding of the bounds: step to the first bound at or above the value.
        while i > 0 && upperBound(i - 1) >= milliseconds { i -= 1 }
        while i < bucketCount - 1 && upperBound(i) < milliseconds { i += 1 }
        return i
    }

    public mutating func record(milliseconds: Double) {
        counts[Self.bucket(for: milliseconds)] += 1
        maximum = Swift.max(maximum, milliseconds)
    }

    public var total: Int { counts.reduce(0, +) }

    /// The counts recorded since `earlier` (a snapshot of this histogram). The maximum is
    /// the upper bound of the highest bucket that grew, or the exact one if it lies there.
    public func since(_ earlier: DurationHistogram) -> DurationHistogram {
        var d = DurationHistogram()
        for i in counts.indices { d.counts[i] = Swift.max(0, counts[i] - earlier.counts[i]) }
        if let top = d.counts.lastIndex(where: { $0 > 0 }) {
            d.maximum = Self.bucket(for: maximum) == top ? maximum : Self.upperBound(top)
        }
        return d
    }

    /// Nearest rank over the buckets: the upper bound of the bucket holding the sample of
    /// rank p% (so a latency at most that long); nil without samples.
    public func percentile(_ p: Double) -> Double? {
        let n = total
        guard n > 0 else { return nil }
        let rank = Swift.max(1, Int((p / 100 * Double(n) - 1e-9).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return maximum > 0 ? Swift.min(Self.upperBound(i), maximum) : Self.upperBound(i) }
        }
        return maximum
    }

    /// The non-empty buckets as (upper bound in ms, count), smallest first.
    public var buckets: [(upperBound: Double, count: Int)] {
        counts.indices.filter { counts[$0] > 0 }.map { (Self.upperBound($0), counts[$0]) }
    }

    /// Rebuilds a histogram from `buckets` (as `STATS` lists them) and its maximum.
    public init(buckets: [(upperBound: Double, count: Int)], maximum: Double) {
        self.init()
        for (bound, count) in buckets { counts[Self.bucket(for: bound)] += count }
        self.maximum = maximum
    }

    static func roundSignificant(_ x: Double) -> Double {
        guard x > 0 else { return x }
        let scale = pow10(2 - (log10(x)).rounded(.down))
        return (x * scale).rounded() / scale
    }

    private static func pow10(_ x: Double) -> Double { pow(10, x) }
}
