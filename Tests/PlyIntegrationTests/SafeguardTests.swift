import Foundation
import NIOCore
import PlyEngine
import PlyJSON
import PlyServer
import Testing

/// Behaviours a hostile or unlucky client could otherwise break: event numbering under
/// concurrent events, automatch clocks, watch limits, login limits under parallel attempts.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct SafeguardTests {
    /// A player in several matches receives events from all of them at once; on the wire
    /// their `seq` still rises by exactly one, with no gap, no repeat and no reordering.
    @Test func eventsFromManyMatchesAtOnceAreNumberedInOrder() async throws {
        let server = try await TestServer.start()
        let (hub, me) = try await server.player("hub")
        var opponents: [(TestClient, String)] = []
        for i in 0..<12 {
            let (o, them) = try await server.player("spoke\(i)")
            let created = try await hub.ok(#"CHALLENGE \#(them.player) reversi {"side":"first"}"#)
            let match = try #require(created["match"]?.stringValue)
            _ = try await o.event("challenge")
            try await o.ok("ACCEPT \(match)")
            _ = try await o.event("start")
            opponents.append((o, match))
        }
        _ = me
        // Drain what the hub has had so far, noting the last number.
        var last = 0
        while let line = try? await hub.nextLine(timeout: .milliseconds(300)) {
            if let seq = Self.seq(line) { last = seq }
        }
        // Every opponent talks in its match at once: 12 x 40 chat events for the hub.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (o, match) in opponents {
                group.addTask { for n in 0..<40 { try await o.send("SAY \(match) line \(n)") } }
            }
            try await group.waitForAll()
        }
        var seen: [Int] = []
        while seen.count < 480, let line = try? await hub.nextLine(timeout: .seconds(10)) {
            if line.hasPrefix("EVENT chat "), let seq = Self.seq(line) { seen.append(seq) }
        }
        #expect(seen.count == 480)
        #expect(seen == Array((last + 1)...(last + seen.count)), "seq on the wire: \(seen)")
        try await server.stop()
    }

    /// Automatch pairs only players who asked for the same time per turn: nobody is put on a
    /// clock they did not choose (a one-second clock against someone away is a free win).
    @Test func automatchPairsOnlyTheSameTimePerTurn() async throws {
        // Its own database: automatch queues are stored, and other tests' must not pair here.
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (patient, _) = try await server.player("patient")
        let (hasty, h) = try await server.player("hasty")
        let (quick, q) = try await server.player("quick")
        #expect(try await patient.ok("QUEUE reversi")["queued"]?.boolValue == true)
        let one = #"{"turn_seconds":60}"#
        #expect(try await hasty.ok("QUEUE reversi \(one)")["queued"]?.boolValue == true, "not paired with the default clock")
        let paired = try await quick.ok("QUEUE reversi \(one)")
        let match = try #require(paired["match"]?.stringValue)
        let start = try await quick.event("start")
        let players = try #require(start["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }
        #expect(Set(players) == [h.player, q.player])
        #expect(try await quick.ok("MATCH \(match)")["settings"]?["turn_seconds"]?.intValue == 60)
        try await patient.ok("UNQUEUE reversi")  // still waiting: it was never paired
        try await server.stop()
    }

    /// Players who queue at the same moment are all paired: none is told `queued` and then
    /// forgotten because another request rewrote the queue while its own write was waiting.
    @Test func playersQueueingAtOnceAreAllPaired() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        var clients: [TestClient] = []
        for n in 0..<24 { clients.append(try await server.player("rush\(n)").0) }
        for c in clients { try await c.send("QUEUE reversi") }
        var waiting = 0
        for c in clients where try await c.reply().contains(#""queued":true"#) { waiting += 1 }
        #expect(waiting == 12, "half wait, half are paired with them")
        for c in clients { _ = try await c.event("start") }  // every one of them, within 10 s
        try await server.stop()
    }

    /// One player waits in at most `maximumQueuesPerPlayer` automatch queues (each game and
    /// setting is a queue, and a stored row).
    @Test func automatchQueuesPerPlayerAreLimited() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh()) { $0.engine.maximumQueuesPerPlayer = 2 }
        let (c, _) = try await server.player("collector")
        try await c.ok(#"QUEUE reversi {"turn_seconds":61}"#)
        try await c.ok(#"QUEUE reversi {"turn_seconds":62}"#)
        try await c.ok(#"QUEUE reversi {"turn_seconds":62}"#)  // the same queue again: still two
        try await c.err(#"QUEUE reversi {"turn_seconds":63}"#, "rate_limited")
        try await c.ok("UNQUEUE reversi")
        try await c.ok(#"QUEUE reversi {"turn_seconds":63}"#)
        // Being paired takes a player out of that queue, which frees a place.
        let (other, _) = try await server.player("partner")
        try await other.ok(#"QUEUE reversi {"turn_seconds":63}"#)
        _ = try await c.event("start")
        try await c.ok(#"QUEUE reversi {"turn_seconds":64}"#)
        try await c.ok(#"QUEUE reversi {"turn_seconds":65}"#)
        try await c.err(#"QUEUE reversi {"turn_seconds":66}"#, "rate_limited")
        try await server.stop()
    }

    /// A move whose commit outlives the time limit but is durable after all (a deferred
    /// trigger sleeps inside `COMMIT`): the mover gets `unavailable` and retries the same ply;
    /// the server then reads the match back and answers `duplicate`, with the match at that
    /// ply, instead of refusing the retry forever or playing on from a stale position.
    @Test func aMoveWhoseCommitOutcomeWasUnknownIsADuplicateWhenRetried() async throws {
        let database = try await TestDatabase.fresh()
        // A 4 s limit (with 1 s, and once with 2 s, logins timed out on a loaded host), a
        // commit of 6 s.
        let server = try await TestServer.start(database: database) { $0.engine.databaseTimeLimitSeconds = 4 }
        let t = try await server.table("reversi")
        try await slowCommits(database, seconds: 6, when: "NEW.move = 'f5'")
        try await t.first.err("MOVE \(t.match) 1 f5", "unavailable")
        var stored: [String] = []
        for _ in 0..<100 where stored.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            stored = try await query(database, "SELECT move FROM plies WHERE match_id = '\(t.match)'")
        }
        #expect(stored == ["f5"], "the move was durable after all")
        var retried = ""
        for _ in 0..<40 where !retried.hasPrefix("OK") {
            retried = try await t.first.call("MOVE \(t.match) 1 f5")
            if !retried.hasPrefix("OK") { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(retried.hasPrefix("OK") && retried.contains(#""duplicate":true"#), "retry answered \(retried)")
        let m = try await t.second.ok("MATCH \(t.match)")
        #expect(m["ply"]?.intValue == 1 && m["to_move"]?.stringValue == t.secondID)
        try await t.second.ok("MOVE \(t.match) 2 d6")
        try await server.stop()
    }

    /// Requests queued behind a move whose commit outcome became unknown are all answered:
    /// each finds the match retired, wakes the next and goes back to the directory, which
    /// reads the match afresh (before, only the first was woken and the rest waited forever).
    @Test func requestsQueuedBehindACommitOfUnknownOutcomeAreAllAnswered() async throws {
        let database = try await TestDatabase.fresh()
        // A 4 s limit: with 1 s, and once with 2 s, the logins below timed out on a loaded
        // host. The move's commit sleeps 6 s, so it outlives the limit and the draw offers
        // behind it wait 4 s at most.
        let server = try await TestServer.start(database: database) { $0.engine.databaseTimeLimitSeconds = 4 }
        let t = try await server.table("reversi")
        let again = try await server.client()
        try await again.ok("AUTH SESSION \(t.secondSession)")
        try await slowCommits(database, seconds: 6, when: "NEW.move = 'f5'")
        try await t.first.send("MOVE \(t.match) 1 f5")
        try await waitForSleepingCommit(database)  // the move waits in its COMMIT
        try await t.second.send("DRAW \(t.match) offer")
        try await again.send("DRAW \(t.match) offer")
        let sent = ContinuousClock.now
        #expect(try await t.first.reply().hasPrefix("ERR unavailable"))
        for (who, c) in [("first in line", t.second), ("second in line", again)] {
            let reply = try await c.reply()  // throws after 10 s without one
            #expect(reply.hasPrefix("OK") || reply.hasPrefix("ERR conflict"), "\(who): \(reply)")
        }
        #expect(ContinuousClock.now - sent < .seconds(6), "answered once the move's time limit ran out, before the commit")
        try await server.stop()
    }

    /// `PLY_DATABASE_TIMEOUT_SECONDS` on the real binary: with 1 s, a move whose `COMMIT`
    /// takes 3 s answers `unavailable` (with the default 5 s it would answer `OK` after 3 s);
    /// 0 is refused at start-up.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"))
    func databaseTimeoutSetting() async throws {
        let database = try await TestDatabase.fresh()
        try await CrashTests.withBinary(environment: ["PLY_DATABASE_TIMEOUT_SECONDS": "1"], databaseURL: "\(database)") { port, _ in
            try await slowCommits(database, seconds: 3)
            let (first, _, id) = try await openTable(port: port, label: "timeout")
            let started = ContinuousClock.now
            try await first.err("MOVE \(id) 1 f5", "unavailable")
            #expect(ContinuousClock.now - started < .seconds(3), "answered before the commit could finish")
        }
        let refused = try serveProcess(port: 0, databaseURL: "\(database)", environment: ["PLY_DATABASE_TIMEOUT_SECONDS": "0"])
        refused.standardError = FileHandle.nullDevice
        try refused.run()
        refused.waitForExit(within: 30, "ply serve with a zero time limit")
        #expect(refused.terminationStatus != 0, "a zero time limit is refused")
    }

    /// A client that sends thousands of requests in one burst behind a slow one does not get
    /// them all queued: past the read-ahead limit (`--max-pipelined`, 64) the framing splits
    /// off no more lines, and the rest waits as bytes until the session catches up. Here the
    /// slow request is a password check (about half a second at this cost): while it runs the
    /// server has taken about 64 of the 5,001 requests; afterwards every one is answered.
    @Test func aBurstPastTheReadAheadLimitWaitsAsBytes() async throws {
        try await Self.burstBehindASlowRequest(webSocket: false)
    }

    /// The same burst as WebSocket frames in one write: the frames decoded from a read wait
    /// in front of the session while it is behind (before, the session took about 500 of
    /// them), and all are answered in the end.
    @Test func aWebSocketBurstPastTheReadAheadLimitWaits() async throws {
        try await Self.burstBehindASlowRequest(webSocket: true)
    }

    static func burstBehindASlowRequest(webSocket: Bool) async throws {
        let server = try await TestServer.start {
            $0.engine.passwordCost = .init(rounds: 1 << 17, blockSize: 8, parallelism: 1)
            if webSocket { $0.server.httpPort = 0 }
        }
        let (observer, _) = try await server.player("observer")
        let before = try #require(try await observer.ok("STATS")["requests"]?.intValue)
        let slow = "AUTH EMAIL nobody-\(UUID().uuidString.prefix(8))@example.com not-the-password"
        let reply: (Duration) async throws -> String
        if webSocket {
            let burst = try await WebSocketTestClient.connect(port: try #require(server.httpPort))
            burst.sendBurst([slow] + Array(repeating: "PING", count: 5000))
            reply = { try await burst.reply(timeout: $0) }
        } else {
            let burst = try await server.client()
            try await burst.sendRaw(Array((slow + "\n" + String(repeating: "PING\n", count: 5000)).utf8))
            reply = { try await burst.reply(timeout: $0) }
        }
        // The server reads the burst meanwhile: once it has taken some of it, a little longer
        // for the rest of what it would read.
        // (Each STATS is a request too: the observer's own are taken off.)
        var during = 0, asked = 0
        for _ in 0..<100 where during < 2 {
            try await Task.sleep(for: .milliseconds(50))
            asked += 1
            during = try #require(try await observer.ok("STATS")["requests"]?.intValue) - before - asked
        }
        try await Task.sleep(for: .milliseconds(150))
        asked += 1
        during = try #require(try await observer.ok("STATS")["requests"]?.intValue) - before - asked
        // The count means something only if the check was still running when it was taken.
        let early = try? await reply(.zero)
        try #require(early == nil, "the password check ended before the count: \(early ?? "")")
        // The check takes about half a second alone, far longer on a machine busy with the
        // rest of the suite.
        let refused = try await reply(.seconds(90))
        #expect(refused.hasPrefix("ERR unauthenticated"), "\(refused)")
        #expect(during > 1 && during < 200, "requests taken while the first was running: \(during)")
        for i in 0..<5000 {
            let r = try await reply(.seconds(10))
            if r != "OK" {
                Issue.record("PING \(i) was answered \(r.prefix(60))")
                break
            }
        }
        try await server.stop()
    }

    /// A burst far past the read-ahead limit and past what the framing may buffer (here 384
    /// KiB: 64 KiB of line limit and five reads) behind a slow request: reading waits while
    /// the session is behind, so the buffer never overflows and every line is answered.
    @Test func aBurstLargerThanTheFramingBufferIsAllAnswered() async throws {
        let server = try await TestServer.start {
            $0.engine.passwordCost = .init(rounds: 1 << 16, blockSize: 8, parallelism: 1)
            $0.server.maximumUnterminatedBytes = 64 * 1024
        }
        let burst = try await server.client()
        // Long tagged lines (67 bytes): 8,000 of them are 536 KB, with few replies to read.
        let tag = "#" + String(repeating: "t", count: 60)
        let count = 8000
        try await burst.sendRaw(Array(
            ("AUTH EMAIL nobody-\(UUID().uuidString.prefix(8))@example.com not-the-password\n"
                + String(repeating: "\(tag) PING\n", count: count)).utf8))
        #expect(try await burst.reply(timeout: .seconds(90)).hasPrefix("ERR unauthenticated"))
        var answered = 0
        while answered < count, (try? await burst.reply(timeout: .seconds(30))) == "\(tag) OK" { answered += 1 }
        #expect(answered == count, "\(answered) of \(count) answered")
        try await server.stop()
    }

    /// Password guesses sent in parallel count against the account's limit before any is
    /// checked: of twelve at once with a limit of three, at most three are tried.
    @Test func parallelPasswordGuessesStillMeetTheAccountLimit() async throws {
        let server = try await TestServer.start { $0.engine.authFailuresPerAccount = 3 }
        let (owner, _) = try await server.player("owner")
        let email = "guarded-\(UUID().uuidString.prefix(8))@example.com"
        try await owner.ok("LINK EMAIL \(email) correct-horse-battery")
        let (guessers, replies) = try await Self.loginsAtOnce(12, on: server, as: "\(email) wrong-guess-1234")
        let tried = replies.filter { $0.hasPrefix("ERR unauthenticated") }.count
        let limited = replies.filter { $0.hasPrefix("ERR rate_limited") }.count
        #expect(tried <= 3 && tried + limited == 12, "\(replies)")
        // The right password is refused too now: the account's limit holds for the window.
        try await guessers[0].err("AUTH EMAIL \(email) correct-horse-battery", "rate_limited")
        try await server.stop()
    }

    /// One connection watches at most `maximumWatchesPerConnection` matches and chats at most `maximumChatPerMinute` lines a minute.
    @Test func watchingAndChatAreLimitedPerConnection() async throws {
        let server = try await TestServer.start {
            $0.engine.maximumWatchesPerConnection = 2
            $0.engine.maximumChatPerMinute = 3
        }
        var tables: [Table] = []
        for _ in 0..<3 { tables.append(try await server.table("reversi", settings: Table.publicSettings)) }
        let (w, _) = try await server.player("watcher")
        try await w.ok("WATCH \(tables[0].match)")
        try await w.ok("WATCH \(tables[1].match)")
        try await w.ok("WATCH \(tables[1].match)")  // again: still two
        try await w.err("WATCH \(tables[2].match)", "rate_limited")
        try await w.ok("UNWATCH \(tables[0].match)")
        try await w.ok("WATCH \(tables[2].match)")
        for n in 0..<3 { try await tables[0].first.ok("SAY \(tables[0].match) hello \(n)") }
        try await tables[0].first.err("SAY \(tables[0].match) one too many", "rate_limited")
        try await tables[0].second.ok("SAY \(tables[0].match) the other player may still talk")
        try await server.stop()
    }

    /// Watching does not keep a match in memory, and a match that left memory comes back
    /// with its watchers: they see its moves and chat, finished or not, and a watcher that
    /// disconnects is forgotten without the match being read back.
    @Test func watchersFollowAMatchThatLeftMemory() async throws {
        // A database of its own: on the shared one, the deadline poll of each maintenance pass
        // (which also runs the eviction) may spend seconds ending other tests' overdue matches.
        let server = try await TestServer.start(database: try await TestDatabase.fresh()) {
            $0.engine.idleSeconds = 0.3
            $0.engine.deadlinePollSeconds = 0.1
        }
        let t = try await server.table("reversi", settings: Table.publicSettings)
        let (w, watcher) = try await server.player("watcher")
        let (observer, _) = try await server.player("observer")
        func stat(_ key: String) async throws -> Int { try await observer.ok("STATS")[key]?.intValue ?? 0 }
        func waitForEviction(after before: Int) async throws {
            var evicted = 0
            for _ in 0..<150 where evicted == 0 {  // up to 15 s: a loaded machine runs the eviction pass late
                try await Task.sleep(for: .milliseconds(100))
                evicted = try await stat("match_evictions") - before
            }
            #expect(evicted >= 1, "the watched match left memory")
        }
        try await w.ok("WATCH \(t.match)")
        try await waitForEviction(after: try await stat("match_evictions"))
        try await server.play(t, ["f5"])
        #expect(try await w.event("move")["move"]?.stringValue == "f5")
        try await w.ok("SAY \(t.match) from the stands")  // still a watcher: it may talk in the spectators' room
        try await t.first.ok("SAY \(t.match) still here")
        #expect(try await w.event("chat")["text"]?.stringValue == "still here")

        try await t.second.ok("RESIGN \(t.match)")
        #expect(try await w.event("end")["match"]?.stringValue == t.match)
        try await waitForEviction(after: try await stat("match_evictions"))
        try await t.first.ok("SAY \(t.match) good game")
        #expect(try await w.event("chat")["text"]?.stringValue == "good game")

        try await waitForEviction(after: try await stat("match_evictions"))
        let loads = try await stat("match_loads")
        await w.close()
        try await observer.waitOffline(watcher.player)  // the server has handled the close
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await stat("match_loads") == loads, "a watcher leaving reads nothing back")
        try await t.first.ok("SAY \(t.match) bye")
        var heard: [String] = []
        for _ in 0..<3 { heard.append(try await t.second.event("chat")["text"]?.stringValue ?? "") }
        #expect(heard == ["still here", "good game", "bye"])
        try await server.stop()
    }

    /// A tag is echoed at the start of the reply line, so one with a control character is
    /// refused, and the refusal carries no tag.
    @Test func aTagWithAControlCharacterIsRefused() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        try await c.sendRaw(Array("#a\u{7F}b PING\n#ok PING\n".utf8))
        let refused = try await c.reply()
        #expect(refused.hasPrefix("ERR bad_request "), "\(refused)")
        #expect(!refused.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(try await c.reply() == "#ok OK")
        try await server.stop()
    }

    /// Password checks past the hashing job limit are refused at once with `rate_limited`,
    /// not queued behind the others (each check holds a thread and tens of megabytes).
    @Test func passwordChecksPastTheJobLimitAreRefused() async throws {
        let server = try await TestServer.start {
            $0.engine.maximumPasswordJobs = 1
            // About a tenth of a second a check, so that eight sent at once overlap.
            $0.engine.passwordCost = .init(rounds: 1 << 15, blockSize: 8, parallelism: 1)
            $0.engine.authFailuresPerAccount = 100
            $0.engine.authFailuresPerIP = 100
        }
        let (owner, _) = try await server.player("hashed")
        let email = "jobs-\(UUID().uuidString.prefix(8))@example.com"
        try await owner.ok("LINK EMAIL \(email) correct-horse-battery")
        let (_, replies) = try await Self.loginsAtOnce(8, on: server, as: "\(email) correct-horse-battery")
        let ok = replies.filter { $0.hasPrefix("OK {") }.count
        let busy = replies.filter { $0.hasPrefix("ERR rate_limited") && $0.contains("checking passwords") }.count
        #expect(ok >= 1 && busy >= 1 && ok + busy == 8, "\(replies)")
        try await server.stop()
    }

    /// A client that shuts its sending side after its requests (`printf ... | nc -N`) gets
    /// every reply, then the server closes.
    @Test func aHalfClosedConnectionGetsItsReplies() async throws {
        let server = try await TestServer.start()
        let c = try await server.client()
        try await c.sendRaw(Array("AUTH DEVICE half-close-\(UUID().uuidString)\nMATCHES\nPING\n".utf8))
        try await c.channel.close(mode: .output)
        let auth = try await c.reply()
        let matches = try await c.reply()
        let ping = try await c.reply()
        #expect(auth.hasPrefix("OK {") && matches.hasPrefix("OK [") && ping == "OK", "\([auth, matches, ping])")
        #expect(await c.isClosed(within: .seconds(5)), "the server closes after the replies")
        try await server.stop()
    }

    /// The same past the read-ahead limit: the lines still held back as bytes when the input
    /// ended are framed as the session catches up, a last one without a newline included.
    @Test func aHalfClosedConnectionGetsRepliesPastTheReadAheadLimit() async throws {
        let server = try await TestServer.start { $0.server.maximumPipelinedRequests = 4 }
        let c = try await server.client()
        var lines = "AUTH DEVICE half-close-burst-\(UUID().uuidString)\n"
        for i in 0..<200 { lines += "#\(i) MATCHES\n" }
        lines += "#last PING"
        try await c.sendRaw(Array(lines.utf8))
        try await c.channel.close(mode: .output)
        let auth = try await c.reply()
        #expect(auth.hasPrefix("OK {"), "\(auth)")
        for i in 0..<200 {
            let r = try await c.reply()
            #expect(r.hasPrefix("#\(i) OK ["), "reply \(i) was \(r.prefix(40))")
        }
        #expect(try await c.reply() == "#last OK")
        #expect(await c.isClosed(within: .seconds(5)), "the server closes after the replies")
        try await server.stop()
    }

    /// `count` connections each send `AUTH EMAIL <credentials>` at once; their replies, in
    /// the order they came.
    static func loginsAtOnce(_ count: Int, on server: TestServer, as credentials: String) async throws
        -> (clients: [TestClient], replies: [String])
    {
        var clients: [TestClient] = []
        for _ in 0..<count { clients.append(try await server.client()) }
        let replies = try await withThrowingTaskGroup(of: String.self) { group in
            for c in clients { group.addTask { try await c.call("AUTH EMAIL \(credentials)") } }
            var all: [String] = []
            for try await r in group { all.append(r) }
            return all
        }
        return (clients, replies)
    }

    static func seq(_ line: String) -> Int? {
        guard line.hasPrefix("EVENT "), let brace = line.firstIndex(of: "{") else { return nil }
        return (try? JSONValue(parsing: String(line[brace...])))?["seq"]?.intValue
    }

    /// A commit PostgreSQL refuses (here a ply already stored behind the server's back, so the
    /// insert breaks the primary key) is a bug, not an outage: `internal`, and the server
    /// keeps accepting other moves (the database is not taken for down).
    @Test func aCommitPostgreSQLRefusesIsInternalNotUnavailable() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let t = try await server.table("reversi")
        _ = try await query(database, "INSERT INTO plies (match_id, ply, move, played_at) VALUES ('\(t.match)', 1, 'f5', now())")
        try await t.first.err("MOVE \(t.match) 1 f5", "internal")
        let other = try await server.table("reversi")
        try await other.first.ok("MOVE \(other.match) 1 f5")
        #expect(try await other.first.ok("STATS")["database_down"]?.boolValue == false)
        try await server.stop()
    }
}
