import Foundation
import PlyBench
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct MatchLifecycleTests {
    @Test func automatchPairsSameGameAndSettings() async throws {
        // Its own database: automatch queues are stored, and other tests' must not pair here.
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (a, ann) = try await server.player("q1")
        let (b, bo) = try await server.player("q2")
        let (c, _) = try await server.player("q3")
        let waiting = try await a.ok("QUEUE hive")
        #expect(waiting["queued"]?.boolValue == true)
        // Different game-specific settings do not pair.
        let other = try await c.ok(#"QUEUE hive {"expansions":"MLP"}"#)
        #expect(other["queued"]?.boolValue == true)
        let paired = try await b.ok(#"QUEUE hive {"expansions":""}"#)  // the default, spelled out
        let match = try #require(paired["match"]?.stringValue)
        let sa = try await a.event("start")
        let sb = try await b.event("start")
        #expect(sa["match"]?.stringValue == match && sb["match"]?.stringValue == match)
        let players = try #require(sa["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }
        #expect(Set(players) == [ann.player, bo.player])
        try await c.ok("UNQUEUE hive")
        try await c.err("UNQUEUE hive", "not_found")
        try await c.err("QUEUE chess", "not_found")
        try await server.stop()
    }

    /// A pairing whose new match cannot be stored (PostgreSQL refuses it here, which is a
    /// bug: `internal`) leaves the waiting player at the head of the queue: the next request
    /// pairs with them.
    @Test func aFailedPairingKeepsTheWaitingPlayerQueued() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let (a, ann) = try await server.player("keep1")
        let (b, bo) = try await server.player("keep2")
        #expect(try await a.ok("QUEUE reversi")["queued"]?.boolValue == true)
        try await query(
            database,
            "CREATE FUNCTION refuse_match() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
        try await query(database, "CREATE TRIGGER refuse_match BEFORE INSERT ON matches FOR EACH ROW EXECUTE FUNCTION refuse_match()")
        try await b.err("QUEUE reversi", "internal")
        try await query(database, "DROP TRIGGER refuse_match ON matches")
        let paired = try await b.ok("QUEUE reversi")
        #expect(paired["queued"]?.boolValue == false, "\(paired)")
        let start = try await a.event("start")
        #expect(start["match"]?.stringValue == paired["match"]?.stringValue)
        let players = try #require(start["players"]?.arrayValue).compactMap { $0["player"]?.stringValue }
        #expect(Set(players) == [ann.player, bo.player])
        try await server.stop()
    }

    /// A queued player keeps their place across a restart and is paired while away; one
    /// who left the queue is not.
    @Test func automatchQueuesSurviveARestart() async throws {
        let database = try await TestDatabase.fresh()
        var server = try await TestServer.start(database: database)
        let (a, ann) = try await server.player("wait1")
        let (c, _) = try await server.player("wait2")
        #expect(try await a.ok("QUEUE reversi")["queued"]?.boolValue == true)
        #expect(try await c.ok("QUEUE khet")["queued"]?.boolValue == true)
        try await c.ok("UNQUEUE khet")
        await a.close()
        try await server.stop()

        server = try await TestServer.start(database: database)
        let (b, bo) = try await server.player("joiner")
        let paired = try await b.ok("QUEUE reversi")
        let match = try #require(paired["match"]?.stringValue)
        let start = try await b.event("start")
        #expect(start["match"]?.stringValue == match)
        let players = try #require(start["players"]?.arrayValue)
        #expect(Set(players.compactMap { $0["player"]?.stringValue }) == [ann.player, bo.player])
        // The away player finds the match and a notification when they come back.
        let back = try await server.client()
        try await back.ok("AUTH SESSION \(ann.session)")
        let mine = try #require(try await back.ok("MATCHES active").arrayValue)
        #expect(mine.contains { $0["match"]?.stringValue == match })
        // Seats are random: if she moves first, a your_turn notification waits for her.
        let notes = try #require(try await back.ok("NOTIFICATIONS").arrayValue)
        let herTurn = notes.contains { $0["match"]?.stringValue == match && $0["kind"]?.stringValue == "your_turn" }
        #expect(herTurn == (start["to_move"]?.stringValue == ann.player))
        // The khet queue was left before the restart: a newcomer waits instead of pairing.
        let (d, _) = try await server.player("late")
        #expect(try await d.ok("QUEUE khet")["queued"]?.boolValue == true)
        try await server.stop()
    }

    @Test func openChallengeDeclineAndWithdraw() async throws {
        let server = try await TestServer.start()
        let (a, ann) = try await server.player("open")
        let created = try await a.ok(#"CHALLENGE open khet {"layout":"dynasty","side":"second"}"#)
        let match = try #require(created["match"]?.stringValue)
        let (b, bo) = try await server.player("taker")
        let list = try await b.ok("OPEN khet")
        #expect(list.arrayValue?.contains { $0["match"]?.stringValue == match && $0["from"]?.stringValue == ann.player } == true)
        try await a.err("ACCEPT \(match)", "conflict")
        try await b.ok("ACCEPT \(match)")
        let start = try await a.event("start")
        #expect(start["to_move"]?.stringValue == bo.player, "side second: the taker moves first")
        let (c, _) = try await server.player("late")
        try await c.err("ACCEPT \(match)", "conflict")
        #expect(try await c.ok("OPEN khet").arrayValue?.contains { $0["match"]?.stringValue == match } == false)

        // Declined invitation: the challenger hears of it.
        let invited = try await a.ok("CHALLENGE \(bo.player) reversi")
        let m2 = try #require(invited["match"]?.stringValue)
        _ = try await b.event("challenge")
        try await c.err("DECLINE \(m2)", "forbidden")
        try await b.ok("DECLINE \(m2)")
        let end = try await a.event("end")
        #expect(end["match"]?.stringValue == m2)
        #expect(end["result"]?["reason"]?.stringValue == "declined")
        let declined = try await b.event("end")
        #expect(declined["match"]?.stringValue == m2)
        try await b.err("ACCEPT \(m2)", "game_over")

        // Withdrawn open challenge: the creator's DECLINE takes it off the list for good.
        let open2 = try await a.ok("CHALLENGE open hive")
        let m3 = try #require(open2["match"]?.stringValue)
        #expect(try await c.ok("OPEN hive").arrayValue?.contains { $0["match"]?.stringValue == m3 } == true)
        let withdrawn = try await a.ok("DECLINE \(m3)")
        #expect(withdrawn["result"]?["reason"]?.stringValue == "withdrawn")
        #expect(try await a.event("end")["match"]?.stringValue == m3)
        #expect(try await c.ok("OPEN hive").arrayValue?.contains { $0["match"]?.stringValue == m3 } == false)
        try await c.err("ACCEPT \(m3)", "game_over")

        // Withdrawn invitation: the creator's RESIGN before an answer; the invited player hears of it.
        let invited2 = try await a.ok("CHALLENGE \(bo.player) hive")
        let m4 = try #require(invited2["match"]?.stringValue)
        _ = try await b.event("challenge")
        let resigned = try await a.ok("RESIGN \(m4)")
        #expect(resigned["result"]?["reason"]?.stringValue == "withdrawn")
        let heard = try await b.event("end")
        #expect(heard["match"]?.stringValue == m4)
        #expect(heard["result"]?["reason"]?.stringValue == "withdrawn")
        #expect(heard["result"]?["winner"] == .null, "a withdrawn challenge has no winner")
        try await b.err("ACCEPT \(m4)", "game_over")
        try await server.stop()
    }

    @Test func resignAndRatings() async throws {
        // Its own database, so the ranking holds only these two players.
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let t = try await server.table("reversi")
        try await server.play(t, ["f5", "d6"])
        let r = try await t.second.ok("RESIGN \(t.match)")
        #expect(r["result"]?["winner"]?.stringValue == t.firstID)
        #expect(r["result"]?["reason"]?.stringValue == "resign")
        let end = try await t.first.event("end")
        #expect(end["result"]?["reason"]?.stringValue == "resign")
        let winner = try await t.first.ok("PROFILE")
        let loser = try await t.first.ok("PROFILE \(t.secondID)")
        #expect(winner["stats"]?["reversi"]?["won"]?.intValue == 1)
        #expect(loser["stats"]?["reversi"]?["lost"]?.intValue == 1)
        let wr = try #require(winner["stats"]?["reversi"]?["rating"]?.intValue)
        let lr = try #require(loser["stats"]?["reversi"]?["rating"]?.intValue)
        #expect(wr > 1500 && lr < 1500 && wr + lr == 3000, "Glicko-2 moves equal new players symmetrically")
        let top = try await t.second.ok("TOP reversi 100")
        let ranks = try #require(top.arrayValue)
        let wi = ranks.firstIndex { $0["player"]?.stringValue == t.firstID }
        let li = ranks.firstIndex { $0["player"]?.stringValue == t.secondID }
        #expect(wi != nil && li != nil && wi! < li!)
        try await t.second.err("RESIGN \(t.match)", "game_over")
        try await t.first.err("TOP chess", "not_found")
        try await server.stop()
    }

    /// Eight opponents resign against one player at the same moment: every result counts,
    /// and the rating is the one eight wins in a row give (no ending read stale stats).
    @Test func simultaneousEndingsOfOnePlayerAllCount() async throws {
        let server = try await TestServer.start()
        let (a, ann) = try await server.player("hub")
        var opponents: [(TestClient, String)] = []
        for i in 0..<8 {
            let (b, bo) = try await server.player("spoke\(i)")
            let created = try await a.ok(#"CHALLENGE \#(bo.player) reversi {"side":"first"}"#)
            let match = try #require(created["match"]?.stringValue)
            _ = try await b.event("challenge")
            try await b.ok("ACCEPT \(match)")
            // One move each: only then is a match rated.
            try await a.ok("MOVE \(match) 1 f5")
            try await b.ok("MOVE \(match) 2 d6")
            opponents.append((b, match))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (b, match) in opponents {
                group.addTask { _ = try await b.ok("RESIGN \(match)") }
            }
            try await group.waitForAll()
        }
        let profile = try await a.ok("PROFILE")
        let stats = profile["stats"]?["reversi"]
        #expect(stats?["played"]?.intValue == 8)
        #expect(stats?["won"]?.intValue == 8)
        // The same eight wins one after the other, computed directly.
        var me = Rating(rating: 1500, deviation: 350, volatility: 0.06)
        for _ in 0..<8 {
            (me, _) = Glicko2().afterMatch(me, Rating(rating: 1500, deviation: 350, volatility: 0.06), scoreOfA: .win)
        }
        #expect(stats?["rating"]?.intValue == Int(me.rating.rounded()))
        _ = ann
        try await server.stop()
    }

    /// An ending whose commit outlived the time limit but was stored after all: the players'
    /// stats in memory are then in doubt and are read again before the next rating, so the
    /// next ending adds to the stored record instead of overwriting it from a stale copy.
    @Test func anEndingOfUnknownOutcomeDoesNotCostTheNextOne() async throws {
        let database = try await TestDatabase.fresh()
        // A 2 s limit (the logins and moves before the ending must not hit it on a loaded
        // machine) and an ending that takes 3 s.
        let server = try await TestServer.start(database: database) { $0.engine.databaseTimeLimitSeconds = 2 }
        let t = try await server.table("reversi")
        for sql in [
            "CREATE FUNCTION slow_end() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$",
            """
            CREATE CONSTRAINT TRIGGER slow_end AFTER UPDATE ON matches DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.id = '\(t.match)' AND NEW.status = 'finished') EXECUTE FUNCTION slow_end()
            """,
        ] { try await query(database, sql) }
        try await server.play(t, ["f5", "d6"])  // one move each: the ending is rated
        try await t.second.err("RESIGN \(t.match)", "unavailable")
        var stored: [String] = []
        for _ in 0..<80 where stored != ["1"] {
            try await Task.sleep(for: .milliseconds(100))
            stored = try await query(database, "SELECT played::text FROM player_stats WHERE player_id = '\(t.firstID)'")
        }
        #expect(stored == ["1"], "the first ending was stored after all")
        // A second match between the same two players, ended the same way.
        let id = try #require(try await t.first.ok(#"CHALLENGE \#(t.secondID) reversi {"side":"first"}"#)["match"]?.stringValue)
        _ = try await t.second.event("challenge")
        try await t.second.ok("ACCEPT \(id)")
        try await t.first.ok("MOVE \(id) 1 f5")
        try await t.second.ok("MOVE \(id) 2 d6")
        try await t.second.ok("RESIGN \(id)")
        for (who, c) in [(t.firstID, t.first), (t.secondID, t.second)] {
            let mine = try await c.ok("PROFILE")["stats"]?["reversi"]
            #expect(mine?["played"]?.intValue == 2, "\(who): \(String(describing: mine))")
            let row = try await query(database, "SELECT played::text FROM player_stats WHERE player_id = '\(who)'")
            #expect(row == ["2"], "\(who) stored")
        }
        #expect(try await t.first.ok("PROFILE")["stats"]?["reversi"]?["won"]?.intValue == 2)
        try await server.stop()
    }

    @Test func drawOffersAndAgreement() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("hive")
        try await server.play(t, ["wS1", "bS1 wS1-"])
        try await t.first.ok("DRAW \(t.match) offer")
        let offer = try await t.second.event("draw")
        #expect(offer["by"]?.stringValue == t.firstID)
        try await t.first.err("DRAW \(t.match) accept", "conflict")  // not your own offer
        try await t.second.ok("DRAW \(t.match) decline")
        try await t.first.err("DRAW \(t.match) accept", "conflict")
        try await t.second.ok("DRAW \(t.match) offer")
        _ = try await t.first.event("draw")
        let done = try await t.first.ok("DRAW \(t.match) accept")
        #expect(done["result"]?["reason"]?.stringValue == "agreement")
        #expect(done["result"]?["winner"] == .null)
        let end = try await t.second.event("end")
        #expect(end["result"]?["reason"]?.stringValue == "agreement")
        let p = try await t.second.ok("PROFILE")
        #expect(p["stats"]?["hive"]?["drawn"]?.intValue == 1)
        try await server.stop()
    }

    @Test func aMissedDeadlineEndsTheMatch() async throws {
        let server = try await TestServer.start(database: try await TestDatabase.fresh()) { $0.engine.deadlinePollSeconds = 0.2 }
        // A deadline is the whole second now falls in plus turn_seconds, so with 1 the first
        // player could run out of time before its own move commits. With 3 it has at least
        // 2 s for one move, and only the second player, who never moves, can miss a deadline.
        // The second player moves once (a player who never moved would not lose: no_start).
        let t = try await server.table("reversi", settings: #"{"side":"first","turn_seconds":3}"#)
        try await server.play(t, ["f5", "d6"])
        let moved = try await t.first.ok("MOVE \(t.match) 3 c3")
        _ = try await t.second.event("move")
        let deadline = try Date(try #require(moved["deadline"]?.stringValue), strategy: .iso8601)
        let end = try await t.first.event("end", timeout: .seconds(30))
        #expect(Date() >= deadline, "the match ended before the second player's deadline \(deadline)")
        #expect(end["result"]?["reason"]?.stringValue == "timeout")
        #expect(end["result"]?["winner"]?.stringValue == t.firstID, "the player who let the clock run out loses")
        _ = try await t.second.event("end")
        try await t.second.err("MOVE \(t.match) 4 d3", "game_over")
        try await server.stop()
    }

    @Test func watchersSeeMovesAndChat() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi", settings: Table.publicSettings)
        let (w, watcher) = try await server.player("watcher")
        let seen = try await w.ok("WATCH \(t.match)")
        #expect(seen["match"]?.stringValue == t.match)
        try await server.play(t, ["f5"])
        let move = try await w.event("move")
        #expect(move["move"]?.stringValue == "f5")
        #expect(move["by"]?.stringValue == t.firstID)
        try await t.first.ok("SAY \(t.match)   good luck  ")
        let chat = try await w.event("chat")
        #expect(chat["text"]?.stringValue == "good luck")
        let chat2 = try await t.second.event("chat")
        #expect(chat2["by"]?.stringValue == t.firstID)
        #expect(chat["room"]?.stringValue == "players")
        // A watcher talks in the spectators' room: other watchers hear it, the players do not.
        let (w2, _) = try await server.player("watcher2")
        try await w2.ok("WATCH \(t.match)")
        try await w.ok("SAY \(t.match) hello from the stands")
        let stands = try await w2.event("chat")
        #expect(stands["by"]?.stringValue == watcher.player)
        #expect(stands["room"]?.stringValue == "spectators")
        #expect(!(await t.first.hasEvent("chat", within: .milliseconds(300))))
        try await t.first.err("SAY \(t.match) " + String(repeating: "x", count: 501), "bad_request")
        // Nothing that paints over the opponent's screen: stacked marks, a right-to-left override.
        try await t.first.err("SAY \(t.match) a" + String(repeating: "\u{301}", count: 3000), "bad_request")
        try await t.first.err("SAY \(t.match) \u{202E}evil", "bad_request")
        #expect(!(await t.second.hasEvent("chat", within: .milliseconds(300))))
        try await w.ok("UNWATCH \(t.match)")
        try await server.play(t, ["d6"], from: 2)
        #expect(!(await w.hasEvent("move", within: .milliseconds(300))))
        let (outsider, _) = try await server.player("outsider")
        try await outsider.err("SAY \(t.match) hi", "forbidden")
        try await server.stop()
    }

    @Test func matchesAreListedMostUrgentFirst() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let (c, carl) = try await server.player("carl")
        let created = try await t.first.ok("CHALLENGE \(carl.player) khet")
        let m2 = try #require(created["match"]?.stringValue)
        try await c.ok("ACCEPT \(m2)")
        _ = try await t.first.event("start")
        // In m1 it is the first player's turn (side first); in m2 it depends on the coin.
        let list = try #require(try await t.first.ok("MATCHES").arrayValue)
        #expect(list.count == 2)
        let waitingOnMe = list.prefix { $0["to_move"]?.stringValue == t.firstID }
        #expect(waitingOnMe.contains { $0["match"]?.stringValue == t.match })
        #expect(list.allSatisfy { $0["status"]?.stringValue == "active" })
        #expect(try await t.first.ok("MATCHES finished").arrayValue?.isEmpty == true)
        try await t.first.ok("RESIGN \(m2)")
        let all = try #require(try await t.first.ok("MATCHES all").arrayValue)
        #expect(all.first?["status"]?.stringValue == "active" && all.last?["status"]?.stringValue == "finished")
        try await server.stop()
    }

    @Test func matchesSurviveARestart() async throws {
        var server = try await TestServer.start()
        let t = try await server.table("hive", settings: #"{"side":"first","expansions":"MLP"}"#)
        try await server.play(t, ["wS1", "bG1 -wS1", "wQ wS1/"])
        let before = try await t.first.ok("MATCH \(t.match)")
        try await server.stop()

        server = try await TestServer.start()
        let a = try await server.client()
        try await a.ok("AUTH SESSION \(t.firstSession)")
        let b = try await server.client()
        try await b.ok("AUTH SESSION \(t.secondSession)")
        let after = try await a.ok("MATCH \(t.match)")
        for key in ["moves", "ply", "to_move", "deadline", "status", "settings", "position"] {
            #expect(after[key] == before[key], "\(key) survives the restart")
        }
        try await b.ok("MOVE \(t.match) 4 bQ -bG1")
        _ = try await a.event("move")
        try await server.stop()
    }

    @Test func deadlinesThatPassWhileDownEndMatchesAtStartUp() async throws {
        let database = try await TestDatabase.fresh()
        var server = try await TestServer.start(database: database)
        // One move each first (a player who never moved would not lose: no_start), then the
        // first player's deadline passes while the server is down.
        let t = try await server.table("reversi", settings: #"{"side":"first","turn_seconds":2}"#)
        try await server.play(t, ["f5", "d6"])
        try await server.stop()
        try await Task.sleep(for: .seconds(2.5))
        server = try await TestServer.start(database: database) { $0.engine.deadlinePollSeconds = 0.2 }
        let a = try await server.client()
        try await a.ok("AUTH SESSION \(t.firstSession)")
        var status = ""
        for _ in 0..<40 where status != "finished" {
            status = try await a.ok("MATCH \(t.match)")["status"]?.stringValue ?? ""
            if status != "finished" { try await Task.sleep(for: .milliseconds(100)) }
        }
        let m = try await a.ok("MATCH \(t.match)")
        #expect(m["status"]?.stringValue == "finished")
        #expect(m["result"]?["reason"]?.stringValue == "timeout")
        #expect(m["result"]?["winner"]?.stringValue == t.secondID)
        try await server.stop()
    }

    @Test func concurrentMovesShareCommits() async throws {
        let server = try await TestServer.start()
        var tables: [Table] = []
        for _ in 0..<24 { tables.append(try await server.table("reversi")) }
        let (observer, _) = try await server.player("observer")
        let before = try await observer.ok("STATS")
        // Every first player sends a move at once; the writer groups them.
        for t in tables { try await t.first.send("MOVE \(t.match) 1 f5") }
        for t in tables { #expect(try await t.first.reply().hasPrefix("OK ")) }
        let after = try await observer.ok("STATS")
        let commits = try #require(after["commits"]?.intValue) - (before["commits"]?.intValue ?? 0)
        let rows = try #require(after["rows_committed"]?.intValue) - (before["rows_committed"]?.intValue ?? 0)
        #expect(rows == 48, "a ply row and a match row per move")
        #expect(commits >= 1 && commits <= 12, "24 concurrent moves took \(commits) commits")
        // How long the recent commits took, as the writer saw them.
        let p50 = try #require(after["commit_p50_ms"]?.doubleValue, "STATS has commit_p50_ms after commits")
        let p99 = try #require(after["commit_p99_ms"]?.doubleValue)
        #expect(p50 > 0 && p50 <= p99 && p99 < 5000, "commit p50 \(p50) ms, p99 \(p99) ms")
        // Every commit since start, in buckets: the run's commits are the difference.
        let histogram = { (stats: JSONValue) in stats.objectValue.flatMap(MovesBench.commitHistogram) }
        let run = try #require(histogram(after)).since(try #require(histogram(before)))
        #expect(run.total == commits, "the histogram counted \(run.total) of \(commits) commits")
        let maximum = try #require(after["commit_max_ms"]?.doubleValue)
        #expect(maximum >= p99 && run.maximum <= maximum, "max \(maximum) ms, run max \(run.maximum) ms, p99 \(p99) ms")
        try await server.stop()
    }
}
