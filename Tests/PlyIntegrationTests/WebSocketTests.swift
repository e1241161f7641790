import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOWebSocket
import PlyBench
import PlyClient
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import Testing

/// The HTTP listener: the protocol over WebSocket (`/ws`), `/healthz`, the page at `/`.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct WebSocketTests {
    static func server(_ configure: @escaping (inout PlyApp) -> Void = { _ in }) async throws -> (TestServer, Int) {
        let server = try await TestServer.start {
            $0.server.httpPort = 0
            configure(&$0)
        }
        return (server, try #require(server.httpPort))
    }

    /// A TCP player and a WebSocket player play a match through to moves and events; the
    /// same player on TCP and on WebSocket at once gets the same events.
    @Test func aTCPAndAWebSocketPlayerPlayTogether() async throws {
        let (server, http) = try await Self.server()
        let ws = try await WebSocketTestClient.connect(port: http)
        let wsLogin = try await ws.ok("AUTH DEVICE websocket-player-\(UUID().uuidString)")
        let wsPlayer = try #require(wsLogin["player"]?.stringValue)
        let (tcp, t) = try await server.player("tcp")
        let match = try #require(try await ws.ok(#"CHALLENGE \#(t.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        _ = try await tcp.event("challenge")
        try await tcp.ok("ACCEPT \(match)")
        _ = try await ws.event("start")
        try await ws.ok("MOVE \(match) 1 f5")
        #expect(try await tcp.event("move")["move"]?.stringValue == "f5")
        // The WebSocket player's session, resumed on TCP too: both connections see Bo's move.
        let sameOnTCP = try await server.client()
        try await sameOnTCP.ok("AUTH SESSION \(try #require(wsLogin["session"]?.stringValue))")
        try await tcp.ok("MOVE \(match) 2 d6")
        #expect(try await ws.event("move")["move"]?.stringValue == "d6")
        #expect(try await sameOnTCP.event("move")["move"]?.stringValue == "d6")
        #expect(try await ws.ok("MATCH \(match)")["players"]?.arrayValue?.first?["player"]?.stringValue == wsPlayer)
        try await server.stop()
    }

    /// The line port's limits hold: a frame over the line limit answers `too_long` and the
    /// connection stays; a binary frame closes it with 1003; silence past the idle timeout
    /// closes it.
    @Test func frameLimitsBinaryFramesAndIdleness() async throws {
        let (server, http) = try await Self.server {
            $0.server.maximumLineBytes = 256
            $0.server.idleTimeout = .seconds(2)
        }
        let ws = try await WebSocketTestClient.connect(port: http)
        try await ws.send("PING " + String(repeating: "x", count: 300))
        #expect(try await ws.reply().hasPrefix("ERR too_long"))
        try await ws.ok("PING")
        try await ws.sendFrame(.binary, [1, 2, 3])
        #expect(await ws.isClosed())
        #expect(ws.receivedCloseCode == .unacceptableData)
        let quiet = try await WebSocketTestClient.connect(port: http)
        #expect(await quiet.isClosed(within: .seconds(8)), "closed after 2 s of silence")
        // A message in fragments is one line once whole (the first fragment alone was run);
        // a new message before the last one ended closes the connection with 1002.
        let split = try await WebSocketTestClient.connect(port: http)
        try await split.sendFrame(.text, Array("MOVE m9".utf8), fin: false)
        try await split.sendFrame(.continuation, Array("99 1 f5".utf8), fin: false)
        try await split.sendFrame(.continuation, [], fin: true)
        let joined = try await split.reply()
        #expect(joined.hasPrefix("ERR unauthenticated"), "the whole line, refused as a whole: \(joined)")
        try await split.sendFrame(.text, Array("PI".utf8), fin: false)
        try await split.sendFrame(.continuation, Array("NG".utf8), fin: true)
        #expect(try await split.reply().hasPrefix("OK"))
        try await split.sendFrame(.text, Array("PI".utf8), fin: false)
        try await split.sendFrame(.text, Array("PING".utf8), fin: true)
        #expect(await split.isClosed())
        #expect(split.receivedCloseCode == .protocolError)
        try await server.stop()
    }

    /// `/healthz` answers 200 while the server accepts play; unknown paths are 404; `/` is the
    /// web client's page and its modules come with their types and a strict policy.
    @Test func healthAndPages() async throws {
        let (server, http) = try await Self.server()
        func get(_ path: String) async throws -> (Int, String, HTTPURLResponse?) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(http)\(path)")!)
            let r = response as? HTTPURLResponse
            return (r?.statusCode ?? 0, String(decoding: data, as: UTF8.self), r)
        }
        let health = try await get("/healthz")
        #expect(health.0 == 200 && health.1 == "ok\n")
        #expect(try await get("/nothing").0 == 404)
        #expect(try await get("/Web/app.js").0 == 404)
        let page = try await get("/")
        #expect(page.0 == 200 && page.1.contains("/app.js"))
        #expect(page.2?.value(forHTTPHeaderField: "Content-Type") == "text/html; charset=utf-8")
        #expect(page.2?.value(forHTTPHeaderField: "Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(page.2?.value(forHTTPHeaderField: "X-Content-Type-Options") == "nosniff")
        let ply = try await get("/ply.js")
        #expect(ply.0 == 200 && ply.1.contains("AUTH SESSION"))
        #expect(ply.2?.value(forHTTPHeaderField: "Content-Type") == "text/javascript; charset=utf-8")
        for asset in ["/app.js", "/svg.js", "/reversi.js", "/hive.js", "/khet.js", "/style.css"] {
            #expect(try await get(asset).0 == 200, "\(asset)")
        }
        try await server.stop()
    }

    /// `/healthz` answers 503 `database down` while PostgreSQL is away (once a write found
    /// it so) and 200 again once it is back.
    @Test func healthFollowsTheDatabase() async throws {
        let cluster = try await PrivateCluster.make()
        defer { Task { await cluster.remove() } }
        let server = try await TestServer.start(database: try cluster.url) { $0.server.httpPort = 0 }
        let http = try #require(server.httpPort)
        func health() async throws -> (Int, String) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(http)/healthz")!)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        #expect(try await health() == (200, "ok\n"))
        let t = try await server.table("reversi")
        try await cluster.stop()
        try await t.first.err("MOVE \(t.match) 1 f5", "unavailable")
        #expect(try await health() == (503, "database down\n"))
        try await cluster.start()
        var answer = (0, "")
        for _ in 0..<100 where answer.0 != 200 {
            try await Task.sleep(for: .milliseconds(200))
            answer = try await health()
        }
        #expect(answer == (200, "ok\n"), "healthy again once the probe finds the database")
        try await server.stop()
    }

    /// `ply bench ping --ws` round-trips PING over WebSocket frames.
    @Test func pingBenchRunsOverWebSocket() async throws {
        let (server, http) = try await Self.server()
        let result = try await PingBench.run(
            .init(target: BenchTarget(host: "127.0.0.1", port: http), connections: 2, duration: .seconds(1), webSocket: true))
        #expect(result.requests >= 1, "\(result.requests) round trips")
        #expect(result.latency.p50 != nil)
        try await server.stop()
    }

    /// `POST /line` with `line` as the body (and `token` as the bearer); the reply line.
    static func post(_ line: String, port: Int, token: String? = nil) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/line")!)
        request.httpMethod = "POST"
        request.httpBody = Data(line.utf8)
        request.setValue("text/plain", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// Each HTTP request is a session of its own, so the per-connection limit on failed logins
    /// never applies: forged bearers from one address meet the per-address limit on refused
    /// tokens instead, past which a refusal is answered late (10 s here), while the real
    /// bearer from the same address is answered at once (within 5 s here).
    @Test func forgedBearersFromOneAddressAreAnsweredLate() async throws {
        let (server, http) = try await Self.server {
            $0.engine.tokenFailuresPerIP = 3
            $0.engine.tokenRefusalPause = .seconds(10)
        }
        let (_, honest) = try await server.player("bearer-limit")
        for i in 0..<3 {
            let reply = try await Self.post("PING", port: http, token: "forged-bearer-\(i)-aaaaaaaaaa")
            #expect(reply.hasPrefix("ERR unauthenticated"), "\(reply)")
        }
        let guesser = try await TestClient.connect(port: http, expectHello: false)
        let guessed = ContinuousClock.now
        try await guesser.sendRaw(Array(
            "POST /line HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer forged-bearer-3-aaaaaaaaaa\r\nContent-Length: 4\r\n\r\nPING".utf8))
        await #expect(throws: (any Error).self, "the fourth refusal is held back") {
            _ = try await guesser.nextLine(timeout: .seconds(1))
        }
        let honestRequest = try await TestClient.connect(port: http, expectHello: false)
        try await honestRequest.sendRaw(Array(
            "POST /line HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(honest.session)\r\nContent-Length: 4\r\n\r\nPING".utf8))
        // The status line and headers, then the body: the request's reply, within 5 s.
        var answer = ""
        while !(answer.hasPrefix("OK") || answer.hasPrefix("ERR")) { answer = try await honestRequest.nextLine(timeout: .seconds(5)) }
        #expect(answer == "OK", "a real bearer is answered at once")
        // The held-back refusal comes, after its pause.
        var refusal = ""
        while !(refusal.hasPrefix("OK") || refusal.hasPrefix("ERR")) { refusal = try await guesser.nextLine(timeout: .seconds(20)) }
        #expect(refusal.hasPrefix("ERR unauthenticated"), "\(refusal)")
        #expect(ContinuousClock.now - guessed >= .seconds(9.5), "answered \(ContinuousClock.now - guessed) after it was sent")
        try await server.stop()
    }

    /// A player who only makes HTTP requests: `POST /line` for requests (with the session as
    /// a bearer token), `GET /events` for what happened, waiting for the first event.
    @Test func anHTTPOnlyPlayerPlaysWithPostAndLongPoll() async throws {
        let (server, http) = try await Self.server { $0.server.longPoll = .seconds(5) }
        func post(_ line: String, token: String? = nil) async throws -> String {
            try await Self.post(line, port: http, token: token)
        }
        func events(after: Int, token: String?) async throws -> (Int, [String]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(http)/events?after=\(after)")!)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, lines)
        }
        let login = try JSONValue(parsing: String(try await post("AUTH DEVICE http-only-\(UUID().uuidString)").dropFirst(3)))
        let token = try #require(login["session"]?.stringValue)
        #expect(try await post("PING", token: "not-a-session").hasPrefix("ERR unauthenticated"))
        #expect(try await events(after: 0, token: nil).0 == 401)

        let (tcp, t) = try await server.player("tcp")
        let created = try await post(#"CHALLENGE \#(t.player) reversi {"side":"first"}"#, token: token)
        let match = try #require(try JSONValue(parsing: String(created.dropFirst(3)))["match"]?.stringValue)
        _ = try await tcp.event("challenge")
        try await tcp.ok("ACCEPT \(match)")
        #expect(try await post("MOVE \(match) 1 f5", token: token).hasPrefix("OK "))
        try await tcp.ok("MOVE \(match) 2 d6")
        let (status, seen) = try await events(after: 0, token: token)
        #expect(status == 200)
        #expect(seen.contains { $0.hasPrefix("EVENT start ") })
        let move = try #require(seen.last { $0.hasPrefix("EVENT move ") })
        #expect(move.contains(#""move":"d6""#))
        let lastSeq = try #require(try JSONValue.parseObject(String(move.dropFirst("EVENT move ".count)))["seq"]?.intValue)

        // Nothing new: the poll waits, and ends with the next event as it happens.
        async let polled = events(after: lastSeq, token: token)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await post("MOVE \(match) 3 c3", token: token).hasPrefix("OK "))
        try await tcp.ok("MOVE \(match) 4 d3")
        let (_, next) = try await polled
        #expect(next.first?.hasPrefix("EVENT move ") == true, "\(next)")
        // And with nothing at all, it ends empty after the long poll (5 s here).
        var latest = lastSeq
        while true {
            let (_, more) = try await events(after: latest, token: token)
            guard let last = more.last, let seq = try JSONValue.parseObject(String(last.split(separator: " ", maxSplits: 2)[2]))["seq"]?.intValue
            else { break }
            latest = seq
        }
        let started = ContinuousClock.now
        let (_, none) = try await events(after: latest, token: token)
        #expect(none.isEmpty)
        #expect(ContinuousClock.now - started >= .seconds(4.5))
        // A gap the server does not hold: answered at once, flagged for a resync (`MATCHES`).
        var gap = URLRequest(url: URL(string: "http://127.0.0.1:\(http)/events?after=\(latest + 1000)")!)
        gap.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let gapStarted = ContinuousClock.now
        let (_, gapResponse) = try await URLSession.shared.data(for: gap)
        #expect((gapResponse as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-Ply-Resync") == "true")
        #expect(ContinuousClock.now - gapStarted < .seconds(3), "no long poll for a resync")
        try await server.stop()
    }

    /// A blank `POST /line` got no reply (a blank line gets none on the line port) and its
    /// session was never ended; a session whose client left mid-request stayed attached to
    /// the player. Now the blank line is answered, and a session ends with its connection.
    @Test func httpSessionsEndWithTheirConnection() async throws {
        let (server, http) = try await Self.server { $0.server.longPoll = .seconds(20) }
        func raw(_ request: String) async throws -> TestClient {
            let c = try await TestClient.connect(port: http, expectHello: false)
            try await c.sendRaw(Array(request.utf8))
            return c
        }
        let (watcher, me) = try await server.player("http-leaver")
        for body in ["", "  \r\n", "\nPING"] {
            let c = try await raw("POST /line HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            #expect(try await c.nextLine(timeout: .seconds(5)).hasPrefix("HTTP/1.1 200"))
            var line = ""
            while !line.hasPrefix("ERR") { line = try await c.nextLine(timeout: .seconds(5)) }
            #expect(line.hasPrefix("ERR bad_request"), "\(body.debugDescription): \(line)")
            await c.close()
        }
        // A line ending in CRLF is the line without it.
        let crlf = try await raw("POST /line HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nPING\r\n")
        var pong = ""
        while !pong.hasPrefix("OK") && !pong.hasPrefix("ERR") { pong = try await crlf.nextLine(timeout: .seconds(5)) }
        #expect(pong.hasPrefix("OK"), "PING with CRLF: \(pong)")
        await crlf.close()
        // A long poll with the player's session, left at once: the player is offline again.
        await watcher.close()
        let (other, _) = try await server.player("http-observer")
        try await other.waitOffline(me.player)
        let poll = try await raw("GET /events?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(me.session)\r\n\r\n")
        var online = false
        for _ in 0..<50 where !online {
            online = try await other.ok("PROFILE \(me.player)")["online"]?.boolValue == true
            if !online { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(online, "the long poll's session is attached")
        await poll.close()
        try await other.waitOffline(me.player, within: .seconds(3))
        var sessions = 0
        for _ in 0..<50 {
            sessions = try await other.ok("STATS")["connections"]?.intValue ?? -1
            if sessions == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sessions == 1, "only the observer's session is left")
        try await server.stop()
    }

    /// Another site's page could have its visitors' browsers play here: create accounts and
    /// try passwords from their addresses. Now only the server's own page, listed origins
    /// and requests naming no page (apps, bots) may use `/ws`, `POST /line` and `/events`.
    @Test func pagesOfOtherSitesMayNotPlay() async throws {
        let (server, http) = try await Self.server { $0.server.allowedOrigins = ["https://game.example"] }
        func status(_ request: String) async throws -> String {
            let c = try await TestClient.connect(port: http, expectHello: false)
            try await c.sendRaw(Array(request.utf8))
            let line = try await c.nextLine(timeout: .seconds(5))
            await c.close()
            return line
        }
        func upgrade(origin: String) -> String {
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(http)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: \(origin)\r\n\r\n"
        }
        #expect(try await status(upgrade(origin: "https://evil.example")).hasPrefix("HTTP/1.1 403"))
        #expect(try await status(upgrade(origin: "http://127.0.0.1:\(http)")).hasPrefix("HTTP/1.1 101"))
        #expect(try await status(upgrade(origin: "https://game.example")).hasPrefix("HTTP/1.1 101"))
        func post(origin: String?) -> String {
            "POST /line HTTP/1.1\r\nHost: 127.0.0.1:\(http)\r\nContent-Length: 4\r\n"
                + (origin.map { "Origin: \($0)\r\n" } ?? "") + "\r\nPING"
        }
        #expect(try await status(post(origin: "https://evil.example")).hasPrefix("HTTP/1.1 403"))
        #expect(try await status(post(origin: nil)).hasPrefix("HTTP/1.1 200"))
        #expect(try await status(post(origin: "https://game.example")).hasPrefix("HTTP/1.1 200"))
        #expect(
            try await status("GET /events HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nAuthorization: Bearer t\r\n\r\n")
                .hasPrefix("HTTP/1.1 403"))
        // The web client itself is served to anyone: only playing is guarded.
        #expect(try await status("GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        try await server.stop()
    }

    /// The HTTP port held a connection that trickled a request a byte at a time for as long
    /// as the idle timeout allowed between bytes. Now a whole request must come within the
    /// handshake time of connecting, or of the last response on a kept-alive connection.
    @Test func slowRequestsAreCutOff() async throws {
        let (server, http) = try await Self.server { $0.server.handshakeTimeout = .seconds(2) }
        let slow = try await TestClient.connect(port: http, expectHello: false)
        let started = ContinuousClock.now
        try await slow.sendRaw(Array("GET /healthz HTTP/1.1\r\n".utf8))
        // A byte every half second, until the server closes (or 20 s: a trickle that kept the
        // connection would keep it that long; the bound below leaves this host's stalls room).
        var closed = false
        for _ in 0..<40 where !closed {
            try? await slow.sendRaw(Array("X".utf8))
            closed = await slow.isClosed(within: .milliseconds(500))
        }
        #expect(closed)
        #expect(ContinuousClock.now - started < .seconds(10), "closed 2 s in, not kept by the trickle")
        // A kept-alive connection is answered, then closed once idle for the handshake time.
        let idle = try await TestClient.connect(port: http, expectHello: false)
        try await idle.sendRaw(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(try await idle.nextLine().hasPrefix("HTTP/1.1 200"))
        let answered = ContinuousClock.now
        #expect(await idle.isClosed(within: .seconds(10)))
        #expect(ContinuousClock.now - answered >= .seconds(1.5), "kept open for the handshake time")
        try await server.stop()
    }

    /// The HTTP port counts in the connection limits: past the per-address limit a
    /// connection is answered 503 and closed; a server with idle HTTP connections open still
    /// stops promptly.
    @Test func httpConnectionsCountInTheLimits() async throws {
        let (server, http) = try await Self.server { $0.server.maximumConnectionsPerAddress = 2 }
        let first = try await WebSocketTestClient.connect(port: http)
        let second = try await TestClient.connect(port: server.port)  // the line port shares the budget
        // Refused as it connects: the answer comes before any request.
        let refused = try await TestClient.connect(port: http, expectHello: false)
        let status = try await refused.nextLine()
        #expect(status.hasPrefix("HTTP/1.1 503"), "\(status)")
        #expect(await refused.isClosed())
        _ = (first, second)
        let started = ContinuousClock.now
        try await server.stop()
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
