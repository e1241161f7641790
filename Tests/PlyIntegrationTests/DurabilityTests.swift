import Foundation
import Logging
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import PostgresNIO
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct DurabilityTests {
    @Test func anOutageFailsCriticalWritesFastAndRecovers() async throws {
        let cluster = try await PrivateCluster.make()
        let server = try await TestServer.start(database: try cluster.url)
        let t = try await server.table("reversi")
        try await server.play(t, ["f5"])

        try await cluster.stop()
        // Reads from memory still work.
        #expect(try await t.first.call("PING") == "OK")
        let m = try await t.first.ok("MATCH \(t.match)")
        #expect(m["ply"]?.intValue == 1)
        try await t.second.ok("PROFILE")
        // A critical write fails with unavailable and changes nothing; fast, not hung.
        let started = ContinuousClock.now
        try await t.second.err("MOVE \(t.match) 2 d6", "unavailable")
        #expect(ContinuousClock.now - started < .seconds(8))
        let again = ContinuousClock.now
        try await t.second.err("MOVE \(t.match) 2 d6", "unavailable")
        #expect(ContinuousClock.now - again < .seconds(3), "once the database is known to be down, well before the 5 s time limit")
        #expect(try await t.second.ok("MATCH \(t.match)")["ply"]?.intValue == 1, "the match stays at the previous ply")
        // A read that needs the database (a new device's login) answers unavailable in time:
        // the pool waits for a server that is down, the read does not.
        let newcomer = try await server.client()
        let login = ContinuousClock.now
        try await newcomer.err("AUTH DEVICE outage-newcomer", "unavailable")
        #expect(ContinuousClock.now - login < .seconds(8))
        // So does a match not in memory, and a list read from the database.
        let cold = ContinuousClock.now
        try await t.first.err("MATCH m987654321", "unavailable")
        try await t.first.err("MATCHES finished", "unavailable")
        #expect(ContinuousClock.now - cold < .seconds(14))
        // Lazy writes are acknowledged and wait.
        try await t.second.ok("NAME Patient Bo")
        let stats = try await t.first.ok("STATS")
        #expect(stats["database_down"]?.boolValue == true)

        try await cluster.start()
        var moved = ""
        for _ in 0..<60 where !moved.hasPrefix("OK") {
            moved = try await t.second.call("MOVE \(t.match) 2 d6")
            if !moved.hasPrefix("OK") { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(moved.hasPrefix("OK"), "the same ply goes through once the database is back: \(moved)")
        _ = try await t.first.event("move")
        #expect(try await newcomer.call("AUTH DEVICE outage-newcomer").hasPrefix("OK"), "logins work again")
        try await server.stop()
        // The lazy name reached the database.
        let name = try await query(cluster.url, "SELECT name FROM players WHERE id = '\(t.secondID)'")
        #expect(name == ["Patient Bo"], "the server logged:\n\(server.recentLog())")
        await cluster.remove()
    }

    @Test func idleMatchesAndPlayersLeaveMemoryAndComeBackIdentical() async throws {
        let server = try await TestServer.start {
            $0.engine.idleSeconds = 0.5
            $0.engine.deadlinePollSeconds = 0.1
        }
        let t = try await server.table("hive", settings: #"{"side":"first","expansions":"P"}"#)
        try await server.play(t, ["wS1", "bP -wS1", "wQ wS1/"])
        let before = try await t.first.ok("MATCH \(t.match)")
        await t.first.close()
        await t.second.close()
        let (observer, _) = try await server.player("observer")
        var stats = try await observer.ok("STATS")
        for _ in 0..<40 where (stats["match_evictions"]?.intValue ?? 0) == 0 || (stats["player_evictions"]?.intValue ?? 0) < 2 {
            try await Task.sleep(for: .milliseconds(100))
            stats = try await observer.ok("STATS")
        }
        #expect((stats["match_evictions"]?.intValue ?? 0) >= 1)
        #expect((stats["player_evictions"]?.intValue ?? 0) >= 2)
        let a = try await server.client()
        try await a.ok("AUTH SESSION \(t.firstSession)")
        let b = try await server.client()
        try await b.ok("AUTH SESSION \(t.secondSession)")
        let after = try await a.ok("MATCH \(t.match)")
        for key in ["moves", "ply", "to_move", "deadline", "status", "position", "settings"] {
            #expect(after[key] == before[key], "\(key) is the same after a reload")
        }
        try await b.ok("MOVE \(t.match) 4 bQ -bP")
        #expect(try await a.event("move")["move"]?.stringValue == "bQ -bP")
        #expect((try await observer.ok("STATS")["match_loads"]?.intValue ?? 0) >= 1)
        try await server.stop()
    }

    @Test func gracefulShutdownFlushesLazyState() async throws {
        let server = try await TestServer.start()
        let (a, me) = try await server.player("shutdown")
        for i in 1...10 { try await a.ok("NAME Name \(i)") }
        try await a.ok(#"PROFILE SET {"v":42}"#)
        let stats = try await a.ok("STATS")
        #expect((stats["pending_lazy_writes"]?.intValue ?? 0) >= 1, "still waiting: lazy writes are not flushed at once")
        try await server.stop()
        let rows = try await query(try TestDatabase.url(), "SELECT name || ' ' || data::text FROM players WHERE id = '\(me.player)'")
        #expect(rows == [#"Name 10 {"v":42}"#])
    }

    @Test func tenNameChangesBecomeOneUpdate() async throws {
        let server = try await TestServer.start()
        let (a, _) = try await server.player("coalesce")
        let before = try await a.ok("STATS")
        for i in 1...10 { try await a.ok("NAME Coalesced \(i)") }
        // Nothing waiting is not enough: a flush in flight has taken the rows but not counted
        // them yet. Wait until the rows are counted as flushed.
        func flushedSince(_ stats: JSONValue) -> Int {
            (stats["lazy_rows_flushed"]?.intValue ?? 0) - (before["lazy_rows_flushed"]?.intValue ?? 0)
        }
        var after = try await a.ok("STATS")
        for _ in 0..<40 where after["pending_lazy_writes"]?.intValue != 0 || flushedSince(after) == 0 {
            try await Task.sleep(for: .milliseconds(100))
            after = try await a.ok("STATS")
        }
        let flushed = flushedSince(after)
        // The name row once; the last-seen or sequence rows of other tests' players may share the flush.
        #expect(flushed >= 1 && flushed <= 3, "rows flushed: \(flushed)")
        try await server.stop()
    }
}
