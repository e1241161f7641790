import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOPosix
import PlyJSON
import PlyServer
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct MetricsTests {
    @Test func prometheusEndpointServesTheStatsFigures() async throws {
        let metricsPort = freePort()
        let server = try await TestServer.start { $0.metricsPort = metricsPort }
        let (c, _) = try await server.player("metrics")
        try await c.ok("PROFILE")
        var text = ""
        for _ in 0..<30 where !text.contains("ply_event_loop_lag_p99_ms") {  // gauges are published once a second
            try await Task.sleep(for: .milliseconds(200))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!) {
                text = String(decoding: data, as: UTF8.self)
            }
        }
        for name in ["ply_connections", "ply_players_in_memory", "ply_pending_critical_writes", "ply_pending_lazy_writes",
                     "ply_commits", "ply_rows_committed", "ply_last_commit_ms", "ply_match_evictions", "ply_rss_bytes",
                     "ply_event_loop_lag_p99_ms"] {
            #expect(text.contains(name), "\(name) is exported")
        }
        let missing = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/nothing")!)
        #expect((missing?.1 as? HTTPURLResponse)?.statusCode == 404)
        try await server.stop()
    }

    /// Counters are recorded where things happen: a durable move counts a commit at once
    /// (no sampling delay), exported as a Prometheus counter.
    @Test func countersAreRecordedWhereThingsHappen() async throws {
        let metricsPort = freePort()
        let server = try await TestServer.start { $0.metricsPort = metricsPort }
        func value(_ name: String) async throws -> Double? {
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("# TYPE \(name) counter"), "\(name) is a counter")
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let t = try await server.table("reversi")
        let before = try await value("ply_commits") ?? 0
        let requests = try await value("ply_requests") ?? 0
        try await t.first.ok("MOVE \(t.match) 1 f5")
        #expect(try await value("ply_commits") ?? 0 >= before + 1)
        #expect(try await value("ply_requests") ?? 0 >= requests + 1)
        try await server.stop()
    }

    /// `STATS` reports how late the event loops run what is due, over about the last
    /// minute; a loop held up by a long job shows in it.
    @Test func statsShowsAnEventLoopHeldUp() async throws {
        let server = try await TestServer.start()
        let (c, _) = try await server.player("lag")
        var stats = try await c.ok("STATS")
        for _ in 0..<30 where stats["event_loop_lag_p50_ms"]?.doubleValue == nil {
            try await Task.sleep(for: .milliseconds(100))
            stats = try await c.ok("STATS")
        }
        let p50 = try #require(stats["event_loop_lag_p50_ms"]?.doubleValue)
        #expect(p50 < 200, "an idle server's loops are not 200 ms late")
        // One loop of the server's group does 200 ms of work in one go.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        _ = try await loop.submit { usleep(200_000) }.get()
        try await Task.sleep(for: .milliseconds(300))
        stats = try await c.ok("STATS")
        let max = try #require(stats["event_loop_lag_max_ms"]?.doubleValue)
        #expect(max >= 100, "a probe due during the 200 ms ran late: \(stats)")
        #expect(try #require(stats["event_loop_lag_p99_ms"]?.doubleValue) <= max)
        try await server.stop()
    }
}
