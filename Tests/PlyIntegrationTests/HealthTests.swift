import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
@testable import PlyStore
import PostgresNIO
import Testing

/// `/healthz` through a server's whole life, with the real binary: `starting` while its
/// migrations wait, `ok` while it accepts play, `shutting down` while a stop drains.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct HealthTests {
    /// The status and body of `GET /healthz`, or nil if nothing answers.
    static func health(_ port: Int) async -> (Int, String)? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        request.timeoutInterval = 2
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Asks `/healthz` until it answers `expected` (ten seconds at most); the last answer.
    static func health(_ port: Int, becomes expected: (Int, String)) async throws -> (Int, String)? {
        var last: (Int, String)?
        for _ in 0..<100 {
            last = await health(port)
            if let last, last == expected { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func startingUntilTheSchemaIsReadyThenOk() async throws {
        let database = try await TestDatabase.fresh()
        let logger = Logger(label: "ply.test.health")
        // The migrator's advisory lock, held here: the server waits in its migrations.
        let holder = try await PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: database.connectionConfiguration(), id: 1,
            logger: logger
        ).get()
        _ = try await holder.query("SELECT pg_advisory_lock(\(Migrator.lockKey))", logger: logger)
        let port = freePort(), http = freePort()
        let p = try serveProcess(port: port, databaseURL: "\(database)", environment: ["PLY_HTTP_PORT": String(http)])
        try p.run()
        defer { p.terminateAndWait() }
        let first = try await Self.health(http, becomes: (503, "starting\n"))
        #expect(first.map { $0 == (503, "starting\n") } == true, "\(String(describing: first))")
        #expect((try? await TestClient.connect(port: port)) == nil, "no play before the schema is ready")
        _ = try await holder.query("SELECT pg_advisory_unlock(\(Migrator.lockKey))", logger: logger)
        let ready = try await Self.health(http, becomes: (200, "ok\n"))
        #expect(ready.map { $0 == (200, "ok\n") } == true, "\(String(describing: ready))")
        #expect(try await isListening(port: port))
        try await holder.close()
    }

    /// An idle server learns of an outage from its lease's renewals: with no write to fail,
    /// `/healthz` says `database down` while the database is stopped, and `ok` once it is back.
    @Test func anIdleServerReportsTheDatabaseDown() async throws {
        let cluster = try await PrivateCluster.make()
        let port = freePort(), http = freePort()
        let p = try serveProcess(
            port: port, databaseURL: "\(try cluster.url)",
            environment: ["PLY_HTTP_PORT": String(http), "PLY_LEASE": "1", "PLY_FAILOVER_SECONDS": "2"])
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminateAndWait()
        }
        try #require(try await isListening(port: port), "the server came up")
        #expect(await Self.health(http).map { $0 == (200, "ok\n") } == true)
        try await cluster.stop()
        let down = try await Self.health(http, becomes: (503, "database down\n"))
        #expect(down.map { $0 == (503, "database down\n") } == true, "\(String(describing: down))")
        try await cluster.start()
        let back = try await Self.health(http, becomes: (200, "ok\n"))
        #expect(back.map { $0 == (200, "ok\n") } == true, "\(String(describing: back))")
        p.terminateAndWait()
        await cluster.remove()
    }

    /// A stop waiting on a move's slow `COMMIT`: meanwhile `/healthz` says so, and a new
    /// WebSocket or HTTP request is not taken.
    @Test func shuttingDownWhileAStopDrains() async throws {
        let database = try await TestDatabase.fresh()
        let port = freePort(), http = freePort()
        let p = try serveProcess(port: port, databaseURL: "\(database)", environment: ["PLY_HTTP_PORT": String(http)])
        let exited = p.exitWatch()
        try p.run()
        defer { p.terminateAndWait() }
        try #require(try await isListening(port: port), "the server came up")
        #expect(await Self.health(http).map { $0 == (200, "ok\n") } == true)
        let (first, _, id) = try await openTable(port: port, label: "health-stop")
        try await slowCommits(database, seconds: 4, when: "NEW.move = 'f5'")
        try await first.send("MOVE \(id) 1 f5")
        try await waitForSleepingCommit(database)  // the move waits in its COMMIT
        kill(p.processIdentifier, SIGTERM)
        let draining = try await Self.health(http, becomes: (503, "shutting down\n"))
        #expect(draining.map { $0 == (503, "shutting down\n") } == true, "\(String(describing: draining))")
        // The move in flight is still answered, then the server exits.
        let reply = try await first.reply()
        #expect(reply.hasPrefix("OK"), "\(reply)")
        for await _ in exited {}
        #expect(p.terminationStatus == 0)
    }
}
