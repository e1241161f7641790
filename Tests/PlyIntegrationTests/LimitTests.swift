import Foundation
import NIOCore
import NIOPosix
import PlyEngine
import PlyJSON
import PlyServer
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct LimitTests {
    /// Connects and returns the first line the server sends.
    func firstLine(port: Int) async throws -> (TestClient?, String) {
        let c = try await TestClient.connectRaw(port: port)
        return (c, try await c.nextLine())
    }

    /// Match ids are sequential, so one account could read every stored match into memory:
    /// reads of matches and players not in memory, by any verb, are budgeted per player (3
    /// here), while a player's own matches do not count, and what is in memory costs nothing.
    @Test func readsFromStorageAreBudgeted() async throws {
        let database = try await TestDatabase.fresh()
        var server = try await TestServer.start(database: database)
        let (owner, o) = try await server.player("cold-owner")
        let (partner, q) = try await server.player("cold-partner")
        var matches: [String] = []
        for _ in 0..<4 {
            let m = try #require(try await owner.ok(#"CHALLENGE \#(q.player) reversi {"public":true}"#)["match"]?.stringValue)
            try await partner.ok("ACCEPT \(m)")
            matches.append(m)
        }
        let (firstReader, r) = try await server.player("cold-reader")
        let readerOwn = try #require(
            try await firstReader.ok(#"CHALLENGE \#(q.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        try await partner.ok("ACCEPT \(readerOwn)")
        let (_, x) = try await server.player("cold-other")
        let (_, y) = try await server.player("cold-unseen")
        try await server.stop()

        // A restart: nothing is in memory.
        server = try await TestServer.start(database: database) { $0.engine.maximumColdReads = 3 }
        let reader = try await server.client()
        try await reader.ok("AUTH SESSION \(r.session)")
        try await reader.ok("MATCH \(matches[0])")
        try await reader.ok("RECORD \(matches[1])")
        try await reader.ok("WATCH \(matches[2])")
        try await reader.err("MATCH \(matches[3])", "rate_limited")
        for verb in ["RESIGN", "DECLINE", "SAY \(matches[3]) hi", "UNWATCH"] {  // any verb that reads the match in
            try await reader.err(verb.hasPrefix("SAY") ? verb : "\(verb) \(matches[3])", "rate_limited")
        }
        try await reader.err("BLOCK \(y.player)", "rate_limited")  // a player, too
        // Its own games are read in past the budget: a player can always play them.
        try await reader.ok("MOVE \(readerOwn) 1 f5")
        try await reader.ok("MATCH \(matches[0])")  // in memory now: free
        let me = try await server.client()
        try await me.ok("AUTH SESSION \(o.session)")
        for m in matches { try await me.ok("MATCH \(m)") }  // four of its own, the last read in now
        try await me.ok("PROFILE \(x.player)")  // its budget is untouched
        try await reader.ok("MATCH \(matches[3])")
        try await reader.err("PROFILE \(y.player)", "rate_limited")
        try await reader.ok("PROFILE \(x.player)")  // read in by the owner's request: in memory
        try await server.stop()
    }

    @Test func connectionsPerAddressAndInAll() async throws {
        let server = try await TestServer.start {
            $0.server.maximumConnectionsPerAddress = 3
            $0.server.maximumConnections = 1000
        }
        var open: [TestClient] = []
        for _ in 0..<3 { open.append(try await server.client()) }
        let (refused, line) = try await firstLine(port: server.port)
        #expect(line.hasPrefix("ERR rate_limited "), "got \(line)")
        #expect(await refused?.isClosed() == true)
        await open[0].close()
        // A slot is free again once the server has seen the close (polled: under a loaded
        // test run that can take a moment).
        var greeting = ""
        for _ in 0..<50 {
            let (client, line) = try await firstLine(port: server.port)
            greeting = line
            if line.hasPrefix("EVENT hello ") { break }
            await client?.close()
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(greeting.hasPrefix("EVENT hello "), "got \(greeting)")
        try await server.stop()

        let small = try await TestServer.start { $0.server.maximumConnections = 2 }
        let a = try await small.client()
        let b = try await small.client()
        let (_, full) = try await firstLine(port: small.port)
        #expect(full.hasPrefix("ERR rate_limited "))
        _ = (a, b)
        try await small.stop()
    }

    @Test func aClientThatNeverReadsIsDisconnected() async throws {
        let server = try await TestServer.start {
            $0.server.maximumOutboundBytes = 16 * 1024
            $0.server.maximumLineBytes = 8192
        }
        // A raw client that stops reading and keeps its receive buffer small.
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: server.port).get()
        let request = ByteBuffer(string: String(repeating: "HELP\n", count: 2000))
        var sent = 0
        for _ in 0..<40 {
            guard channel.isActive else { break }
            try? await channel.writeAndFlush(request)
            sent += 2000
            try await Task.sleep(for: .milliseconds(20))
        }
        // Replies would be megabytes; the server gave up long before.
        var closed = false
        for _ in 0..<100 where !closed {
            let stats = try await server.client()
            _ = try await stats.authDevice("observer-\(UUID().uuidString)")
            let s = try await stats.ok("STATS")
            closed = (s["connections"]?.intValue ?? 99) <= 1
            if !closed { try await Task.sleep(for: .milliseconds(100)) }
            await stats.close()
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(closed, "the slow reader's connection was closed after \(sent) requests")
        try? await channel.close()
        try await server.stop()
    }

    @Test func failedLoginsFromOneAddressAreLimited() async throws {
        let server = try await TestServer.start {
            $0.engine.authFailuresPerIP = 4
            $0.engine.authFailuresPerConnection = 100
        }
        // Password attempts count against the address; forged session tokens cannot be
        // guessed and do not (one attacker behind a shared address must not lock out the
        // players there).
        for _ in 0..<4 {
            let c = try await server.client()
            try await c.err("AUTH SESSION forged-token-aaaa", "unauthenticated")
            try await c.err("AUTH EMAIL nobody@example.com wrong-password", "unauthenticated")
        }
        let c = try await server.client()
        try await c.err("AUTH EMAIL someone@example.com another-guess", "rate_limited")
        _ = try await c.authDevice("honest-device-123")
        try await server.stop()
    }
}

extension LimitTests {
    /// A server whose refusals of tokens past `limit` per address wait 10 s, and whose
    /// connections may fail as often as a test needs.
    static func tokenServer(limit: Int) async throws -> TestServer {
        try await TestServer.start {
            $0.engine.tokenFailuresPerIP = limit
            $0.engine.tokenRefusalPause = .seconds(10)
            $0.engine.authFailuresPerConnection = 100
        }
    }

    /// Forged session tokens, one connection each, soon meet a per-address limit: past it a
    /// refusal from the address is answered late (10 s here, so that late cannot pass for on
    /// time), while a real token from the same address is answered at once (within 5 s
    /// here): the guesser slows itself and locks no one out. Another address (a second
    /// loopback address, as the benches use) is not slowed.
    @Test func refusedTokensFromOneAddressAreAnsweredLate() async throws {
        let server = try await Self.tokenServer(limit: 3)
        let (_, honest) = try await server.player("token-limit-honest")
        for i in 0..<3 {
            let c = try await server.client()
            try await c.send("AUTH SESSION forged-token-\(i)-aaaaaaaa")
            #expect(try await c.reply(timeout: .seconds(5)).hasPrefix("ERR unauthenticated"))
        }
        let guesser = try await server.client()
        let guessed = ContinuousClock.now
        try await guesser.send("AUTH SESSION forged-token-3-aaaaaaaa")
        await #expect(throws: (any Error).self, "the fourth refusal is held back") {
            _ = try await guesser.reply(timeout: .seconds(1))
        }
        let resumed = try await server.client()
        try await resumed.send("AUTH SESSION \(honest.session)")
        #expect(try await resumed.reply(timeout: .seconds(5)).hasPrefix("OK "), "a real token is answered at once")
        let elsewhere = try await TestClient.connect(port: server.port, source: "127.0.0.2")
        try await elsewhere.send("AUTH SESSION forged-token-4-aaaaaaaa")
        #expect(try await elsewhere.reply(timeout: .seconds(5)).hasPrefix("ERR unauthenticated"), "another address is not slowed")
        // The held-back refusal comes, after its pause.
        #expect(try await guesser.reply(timeout: .seconds(20)).hasPrefix("ERR unauthenticated"))
        #expect(ContinuousClock.now - guessed >= .seconds(9.5), "answered \(ContinuousClock.now - guessed) after it was sent")
        try await server.stop()
    }

    /// With the limit off (0), refusals are never answered late.
    @Test func refusedTokensAreUnlimitedWhenTheLimitIsOff() async throws {
        let server = try await Self.tokenServer(limit: 0)
        let (_, honest) = try await server.player("token-limit-off")
        let c = try await server.client()
        for i in 0..<20 {
            try await c.send("AUTH SESSION forged-token-\(i)-aaaaaaaa")
            #expect(try await c.reply(timeout: .seconds(5)).hasPrefix("ERR unauthenticated"))
        }
        try await c.ok("AUTH SESSION \(honest.session)")
        try await server.stop()
    }
}

extension TestClient {
    /// Connects without expecting the hello (the server may refuse instead).
    static func connectRaw(port: Int) async throws -> TestClient {
        try await connect(port: port, expectHello: false)
    }
}
