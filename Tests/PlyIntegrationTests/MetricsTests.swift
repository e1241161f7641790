import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        for _ in 0..<30 where !text.contains("ply_commits") {
            try await Task.sleep(for: .milliseconds(200))
            if let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!) {
                text = String(decoding: data, as: UTF8.self)
            }
        }
        for name in ["ply_connections", "ply_players_in_memory", "ply_pending_critical_writes", "ply_pending_lazy_writes",
                     "ply_commits", "ply_rows_committed", "ply_last_commit_ms", "ply_match_evictions", "ply_rss_bytes"] {
            #expect(text.contains(name), "\(name) is exported")
        }
        let missing = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/nothing")!)
        #expect((missing?.1 as? HTTPURLResponse)?.statusCode == 404)
        try await server.stop()
    }
}
