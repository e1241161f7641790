import PlyStore
import Testing

@Suite struct DurationHistogramTests {
    @Test func bucketsAreTwentyADecadeAndHoldTheirBound() {
        #expect(DurationHistogram.upperBound(0) == 0.01)
        #expect(DurationHistogram.upperBound(20) == 0.1)
        #expect(DurationHistogram.upperBound(60) == 10)
        #expect(DurationHistogram.upperBound(140) == 100_000)
        // Each value lands in the first bucket whose bound is not below it.
        for i in 1..<DurationHistogram.bucketCount {
            let bound = DurationHistogram.upperBound(i)
            #expect(DurationHistogram.bucket(for: bound) == i, "bound \(bound)")
            #expect(DurationHistogram.bucket(for: bound * 1.0001) == min(i + 1, DurationHistogram.bucketCount - 1))
            #expect(bound / DurationHistogram.upperBound(i - 1) < 1.13, "buckets at most 13% wide")
        }
        #expect(DurationHistogram.bucket(for: 0) == 0)
        #expect(DurationHistogram.bucket(for: 1e9) == DurationHistogram.bucketCount - 1)
    }

    @Test func percentilesAreBucketBoundsAndTheMaximumIsExact() {
        var h = DurationHistogram()
        #expect(h.percentile(99) == nil)
        for _ in 0..<990 { h.record(milliseconds: 1.0) }
        for _ in 0..<9 { h.record(milliseconds: 7.5) }
        h.record(milliseconds: 333.3)
        #expect(h.total == 1000)
        #expect(h.percentile(50) == 1)
        #expect(h.percentile(99) == 1)
        // 7.5 ms lies in the bucket up to 7.94 ms.
        #expect(h.percentile(99.9) == 7.94)
        #expect(h.percentile(100) == 333.3)
        #expect(h.maximum == 333.3)
    }

    @Test func aWindowIsTheDifferenceOfTwoSnapshots() {
        var h = DurationHistogram()
        for _ in 0..<100 { h.record(milliseconds: 500) }  // before the window
        let before = h
        for _ in 0..<10 { h.record(milliseconds: 2) }
        h.record(milliseconds: 3)
        let window = h.since(before)
        #expect(window.total == 11)
        #expect(window.percentile(50) == 2)
        // The all-time maximum (500) lies above the window's top bucket: its bound stands in.
        #expect(window.maximum == 3.16)
        // When the all-time maximum is in the window's top bucket, it is kept exactly.
        h.record(milliseconds: 900)
        #expect(h.since(before).maximum == 900)
    }

    @Test func rebuildsFromItsListedBuckets() {
        var h = DurationHistogram()
        for ms in [0.004, 0.3, 0.31, 12, 12, 4000, 2e6] { h.record(milliseconds: ms) }
        let copy = DurationHistogram(buckets: h.buckets, maximum: h.maximum)
        #expect(copy == h)
        #expect(h.buckets.map(\.count) == [1, 2, 2, 1, 1])
    }
}
