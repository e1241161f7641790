import PlyBench
import PlyClient
import PlyJSON
import Testing

/// (The percentile arithmetic itself is tested with `LatencySummary` in PlyStoreTests.)
@Suite struct LatencyTests {
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
