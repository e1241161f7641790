import PlyStore
import Testing

@Suite struct LatencySummaryTests {
    @Test func nearestRankPercentiles() {
        let s = LatencySummary(sorted: (1...1000).map(Double.init))
        #expect(s.p50 == 500)
        #expect(s.p99 == 990)
        #expect(s.p999 == 999)
        #expect(s.max == 1000)
        #expect(s.percentile(0) == 1)
        #expect(s.percentile(100) == 1000)
    }

    @Test func fewSamplesNameARealLatency() {
        let s = LatencySummary(sorted: [1, 2, 3])
        #expect(s.p50 == 2)
        #expect(s.p99 == 3)
        #expect(LatencySummary(sorted: []).p99 == nil)
    }
}

@Suite struct RecentDurationsTests {
    @Test func keepsTheLastOnesInMilliseconds() {
        var d = RecentDurations(capacity: 4)
        #expect(d.summary().p50 == nil)
        for s in [0.100, 0.001, 0.002, 0.003, 0.004, 0.005] { d.record(seconds: s) }
        // The first two (100 ms and 1 ms) were pushed out by the last two.
        #expect(d.count == 4)
        let s = d.summary()
        #expect(s.max == 5)
        #expect(s.percentile(0) == 2)
        #expect(s.p50 == 3)
    }

    @Test func beforeItIsFullItHoldsWhatCame() {
        var d = RecentDurations(capacity: 1024)
        d.record(seconds: 0.25)
        d.record(seconds: 0.5)
        #expect(d.count == 2)
        #expect(d.summary().max == 500)
        #expect(d.summary().p50 == 250)
    }
}
