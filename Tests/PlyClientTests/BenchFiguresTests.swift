import PlyBench
import PlyJSON
import Testing

@Suite struct LatencyTests {
    @Test func nearestRankPercentiles() {
        let samples = LatencySamples(milliseconds: (1...1000).reversed().map(Double.init))
        let s = samples.summary()
        #expect(s.p50 == 500)
        #expect(s.p99 == 990)
        #expect(s.p999 == 999)
        #expect(s.max == 1000)
        #expect(s.percentile(0) == 1)
        #expect(s.percentile(100) == 1000)
    }

    @Test func fewSamplesNameARealLatency() {
        let s = LatencySamples(milliseconds: [3, 1, 2]).summary()
        #expect(s.p50 == 2)
        #expect(s.p99 == 3)
        #expect(LatencySamples().summary().p99 == nil)
    }

    @Test func durationsBecomeMilliseconds() {
        var samples = LatencySamples()
        samples.record(.microseconds(1500))
        samples.record(.seconds(2))
        #expect(samples.milliseconds == [1.5, 2000])
    }
}

@Suite struct BenchTargetTests {
    @Test(arguments: [
        ("127.0.0.1:7499", "127.0.0.1", 7499), ("localhost:6379", "localhost", 6379), ("[::1]:7420", "::1", 7420),
    ])
    func parses(text: String, host: String, port: Int) {
        #expect(BenchTarget(parsing: text) == BenchTarget(host: host, port: port))
    }

    @Test(arguments: ["127.0.0.1", ":7420", "host:0", "host:70000", "host:port"])
    func refuses(text: String) {
        #expect(BenchTarget(parsing: text) == nil)
    }
}

@Suite struct BenchReportTests {
    @Test func missingFiguresAreNullAndNumbersRounded() throws {
        let r = BenchReport(title: "t", figures: [("rps", 1234.56789), ("rss_mb", nil), ("moves", 10)])
        let json = try JSONValue(parsing: r.json.description)
        #expect(json == ["rps": 1234.568, "rss_mb": nil, "moves": 10])
        #expect(r.table.contains("rss_mb  -"))
        #expect(r.json.keys == ["rps", "rss_mb", "moves"])
    }
}
