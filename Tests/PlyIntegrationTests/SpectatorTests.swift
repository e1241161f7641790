import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import Testing

/// Who may watch and talk, and what one player can keep away from themself: watch rules,
/// the two chat rooms, blocks, reports.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct SpectatorTests {
    /// Invitations are private unless made public; open challenges, automatch and finished
    /// matches may be watched by anyone. Match ids are sequential, so a stranger guessing
    /// them must not reach an invitation, nor chat into it.
    @Test func watchingFollowsThePublicSetting() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (stranger, _) = try await server.player("stranger")
        let privateTable = try await server.table("reversi")
        try await stranger.err("WATCH \(privateTable.match)", "forbidden")
        try await stranger.err("SAY \(privateTable.match) hello", "forbidden")
        #expect(try await privateTable.first.ok("MATCH \(privateTable.match)")["settings"]?["public"]?.boolValue == false)

        let (inviter, _) = try await server.player("inviter")
        let (invitee, i) = try await server.player("invitee")
        let invitation = try #require(try await inviter.ok("CHALLENGE \(i.player) reversi")["match"]?.stringValue)
        try await stranger.err("WATCH \(invitation)", "forbidden")
        try await invitee.ok("WATCH \(invitation)")  // a player of the match: allowed, and nothing doubles

        let publicTable = try await server.table("reversi", settings: Table.publicSettings)
        try await stranger.ok("WATCH \(publicTable.match)")
        // Watchers see what the opponent sees of a draw offer (the contract's event table).
        try await publicTable.first.ok("DRAW \(publicTable.match) offer")
        #expect(try await stranger.event("draw")["by"]?.stringValue == publicTable.firstID)
        #expect(try await publicTable.second.event("draw")["match"]?.stringValue == publicTable.match)

        let open = try #require(try await inviter.ok("CHALLENGE open hive")["match"]?.stringValue)
        try await stranger.ok("WATCH \(open)")

        let (q1, _) = try await server.player("queuer1")
        let (q2, _) = try await server.player("queuer2")
        try await q1.ok("QUEUE khet")
        let paired = try #require(try await q2.ok("QUEUE khet")["match"]?.stringValue)
        try await stranger.ok("WATCH \(paired)")

        try await privateTable.first.ok("RESIGN \(privateTable.match)")
        try await stranger.ok("WATCH \(privateTable.match)")  // finished: its record is readable
        try await server.stop()
    }

    /// What may not be watched may not be read either: a stranger walking the sequential
    /// match ids gets `forbidden` from `MATCH`, `LEGAL` and `RECORD` on a private invitation
    /// and on the match it became, until it is over; its players, and anyone on a public
    /// match, read them.
    @Test func privateMatchesAreNotReadByStrangers() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (stranger, _) = try await server.player("reader")
        let (inviter, _) = try await server.player("private-inviter")
        let (invitee, i) = try await server.player("private-invitee")
        let invitation = try #require(
            try await inviter.ok(#"CHALLENGE \#(i.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        func refused(_ match: String) async throws {
            for verb in ["MATCH", "LEGAL", "RECORD"] { try await stranger.err("\(verb) \(match)", "forbidden") }
        }
        try await refused(invitation)
        #expect(try await invitee.ok("MATCH \(invitation)")["status"]?.stringValue == "invited")
        try await invitee.ok("ACCEPT \(invitation)")
        try await inviter.ok("MOVE \(invitation) 1 f5")
        try await refused(invitation)
        for c in [inviter, invitee] {
            #expect(try await c.ok("MATCH \(invitation)")["moves"]?.arrayValue?.count == 1)
            #expect(try await c.ok("LEGAL \(invitation)").arrayValue?.isEmpty == false)
            try await c.ok("RECORD \(invitation)")
        }

        let publicTable = try await server.table("reversi", settings: Table.publicSettings)
        #expect(try await stranger.ok("MATCH \(publicTable.match)")["status"]?.stringValue == "active")
        #expect(try await stranger.ok("LEGAL \(publicTable.match)").arrayValue?.isEmpty == false)
        try await stranger.ok("RECORD \(publicTable.match)")

        try await invitee.ok("RESIGN \(invitation)")
        #expect(try await stranger.ok("MATCH \(invitation)")["status"]?.stringValue == "finished")
        try await stranger.ok("RECORD \(invitation)")
        try await server.stop()
    }

    /// Twenty strangers times five lines put a hundred chat lines on a player's screen. Now
    /// watchers talk among themselves: the players never see the spectators' room.
    @Test func spectatorsTalkInTheirOwnRoom() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi", settings: Table.publicSettings)
        var watchers: [TestClient] = []
        for n in 0..<5 {
            let (w, _) = try await server.player("fan\(n)")
            try await w.ok("WATCH \(t.match)")
            watchers.append(w)
        }
        for w in watchers { for line in 0..<5 { try await w.ok("SAY \(t.match) go go \(line)") } }
        for w in watchers.dropFirst() {
            let heard = try await w.event("chat")
            #expect(heard["room"]?.stringValue == "spectators")
        }
        #expect(!(await t.first.hasEvent("chat", within: .milliseconds(500))))
        #expect(!(await t.second.hasEvent("chat", within: .milliseconds(100))))
        try await t.first.ok("SAY \(t.match) thanks")
        #expect(try await t.second.event("chat")["room"]?.stringValue == "players")
        try await server.stop()
    }

    /// A blocked player cannot challenge, is never paired by automatch, cannot take the
    /// blocker's open challenge, and their chat never reaches the blocker; their invitations
    /// already waiting are withdrawn.
    @Test func aBlockKeepsAPlayerAway() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (victim, v) = try await server.player("victim")
        let (pest, p) = try await server.player("pest")
        // A match they already play, and an invitation still waiting.
        let shared = try #require(try await pest.ok(#"CHALLENGE \#(v.player) khet {"public":true}"#)["match"]?.stringValue)
        try await victim.ok("ACCEPT \(shared)")
        let waiting = try #require(try await pest.ok("CHALLENGE \(v.player) reversi")["match"]?.stringValue)
        _ = try await victim.event("challenge", of: waiting)
        try await victim.err("BLOCK \(v.player)", "bad_request")
        try await victim.err("BLOCK nobody-here", "not_found")
        try await victim.ok("BLOCK \(p.player)")
        try await victim.ok("BLOCK \(p.player)")  // again: still one
        #expect(try await victim.ok("BLOCKS") == [.string(p.player)])
        let withdrawn = try await pest.event("end", of: waiting)
        #expect(withdrawn["result"]?["reason"]?.stringValue == "withdrawn")

        try await pest.err("CHALLENGE \(v.player) hive", "forbidden")
        let open = try #require(try await victim.ok("CHALLENGE open reversi")["match"]?.stringValue)
        #expect(try await pest.ok("OPEN reversi").arrayValue?.contains { $0["match"]?.stringValue == open } == true)
        try await pest.err("ACCEPT \(open)", "forbidden")
        #expect(try await victim.ok("OPEN reversi").arrayValue?.isEmpty == false)
        try await victim.ok("DECLINE \(open)")

        // Automatch: the pest waits; the victim is not paired with them but with the next.
        try await pest.ok("QUEUE khet")
        #expect(try await victim.ok("QUEUE khet")["queued"]?.boolValue == true)
        let (third, _) = try await server.player("third")
        let paired = try await third.ok("QUEUE khet")
        let match = try #require(paired["match"]?.stringValue)
        let start = try await third.event("start")
        let seated = Set(try #require(start["players"]?.arrayValue).compactMap { $0["player"]?.stringValue })
        #expect(seated.contains(p.player), "paired with the first waiting player, the pest")
        _ = match

        // Chat: the match they already play goes on, but the pest's lines no longer reach
        // the victim (a watcher still hears them).
        let (fan, _) = try await server.player("fan")
        try await fan.ok("WATCH \(shared)")
        try await pest.ok("SAY \(shared) you are bad")
        #expect(try await fan.event("chat")["by"]?.stringValue == p.player, "others still hear the pest")
        #expect(!(await victim.hasEvent("chat", within: .milliseconds(400))))
        try await victim.ok("SAY \(shared) good luck")
        #expect(try await pest.event("chat")["text"]?.stringValue == "good luck", "a block is one way")

        try await victim.ok("UNBLOCK \(p.player)")
        try await victim.err("UNBLOCK \(p.player)", "not_found")
        try await pest.ok("CHALLENGE \(v.player) hive")
        try await server.stop()
    }

    /// Blocks are limited per player.
    @Test func blocksAreLimited() async throws {
        let server = try await TestServer.start { $0.engine.maximumBlocks = 2 }
        let (me, _) = try await server.player("blocker")
        var others: [String] = []
        for n in 0..<3 { others.append(try await server.player("other\(n)").1.player) }
        try await me.ok("BLOCK \(others[0])")
        try await me.ok("BLOCK \(others[1])")
        try await me.err("BLOCK \(others[2])", "rate_limited")
        try await server.stop()
    }

    /// The caps on blocks and on reports an hour hold for requests sent at once on many
    /// connections of one player: each counts before it is stored (before, 19 of 20 blocks
    /// and 20 of 20 reports got through a cap of 2).
    @Test func blocksAndReportsSentAtOnceMeetTheirCaps() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database) {
            $0.engine.maximumBlocks = 2
            $0.engine.maximumReportsPerHour = 2
        }
        let (me, m) = try await server.player("parallel-blocker")
        var others: [String] = []
        for n in 0..<10 { others.append(try await server.player("parallel-other\(n)").1.player) }
        var connections: [TestClient] = [me]
        for _ in 1..<10 {
            let c = try await server.client()
            try await c.ok("AUTH SESSION \(m.session)")
            connections.append(c)
        }
        for verb in ["BLOCK", "REPORT"] {
            for (c, other) in zip(connections, others) {
                try await c.send(verb == "BLOCK" ? "BLOCK \(other)" : "REPORT \(other) spam")
            }
            var replies: [String] = []
            for c in connections { replies.append(try await c.reply()) }
            #expect(replies.filter { $0.hasPrefix("OK") }.count == 2, "\(verb): \(replies)")
            #expect(replies.filter { $0.hasPrefix("ERR rate_limited") }.count == 8, "\(verb): \(replies)")
        }
        #expect(try await me.ok("BLOCKS").arrayValue?.count == 2)
        let stored = try await query(database, "SELECT id FROM reports WHERE reporter = '\(m.player)'")
        #expect(stored.count == 2)
        try await server.stop()
    }

    /// An `UNBLOCK` that comes while its `BLOCK` is still being stored answers `conflict`
    /// (deleting before the insert lands would leave the block stored and forgotten in
    /// memory); once stored, it unblocks. The insert is slowed by a trigger.
    @Test func anUnblockWaitsForItsBlockToBeStored() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let (me, m) = try await server.player("slow-blocker")
        let (_, other) = try await server.player("slow-blocked")
        try await query(database, """
            CREATE FUNCTION slow_block() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$
            """)
        try await query(database, "CREATE TRIGGER slow_block BEFORE INSERT ON blocks FOR EACH ROW EXECUTE FUNCTION slow_block()")
        let second = try await server.client()
        try await second.ok("AUTH SESSION \(m.session)")
        try await me.send("BLOCK \(other.player)")
        try await waitForSleepingCommit(database)  // the insert sleeps in its trigger
        try await second.err("UNBLOCK \(other.player)", "conflict")
        #expect(try await me.reply() == "OK")
        try await second.ok("UNBLOCK \(other.player)")
        #expect(try await me.ok("BLOCKS").arrayValue?.isEmpty == true)
        #expect(try await query(database, "SELECT blocked_id FROM blocks WHERE player_id = '\(m.player)'") == [])
        try await server.stop()
    }

    /// Reports go to the operators: one open report per reporter and player, a limit per
    /// hour, never about oneself.
    @Test func reportsAreFiledOncePerPair() async throws {
        let server = try await TestServer.start { $0.engine.maximumReportsPerHour = 2 }
        let (me, m) = try await server.player("reporter")
        let (_, bad) = try await server.player("bad")
        let (_, worse) = try await server.player("worse")
        let filed = try await me.ok("REPORT \(bad.player) cheating with an engine")
        #expect(filed["report"]?.stringValue?.hasPrefix("r") == true)
        try await me.err("REPORT \(bad.player) again", "conflict")
        try await me.err("REPORT \(m.player) myself", "bad_request")
        try await me.err("REPORT \(bad.player)", "bad_request")
        try await me.err("REPORT \(bad.player) " + String(repeating: "x", count: 501), "bad_request")
        try await me.ok("REPORT \(worse.player) abuse in chat")
        let (_, third) = try await server.player("third")
        try await me.err("REPORT \(third.player) one too many", "rate_limited")
        try await server.stop()
    }

    /// A challenge has no seats: its challenger cannot talk into it (cheap invitations would
    /// put lines on a stranger's screen), and the chat limit is the player's, across all
    /// their connections.
    @Test func invitationsCarryNoChatAndTheLimitIsPerPlayer() async throws {
        let server = try await TestServer.start { $0.engine.maximumChatPerMinute = 3 }
        let (pest, _) = try await server.player("pest")
        let (target, t) = try await server.player("target")
        let invitation = try #require(try await pest.ok("CHALLENGE \(t.player) reversi")["match"]?.stringValue)
        #expect(try await pest.err("SAY \(invitation) hello", "forbidden").contains("not started"))
        #expect(!(await target.hasEvent("chat", within: .milliseconds(300))))

        let table = try await server.table("reversi")
        let second = try await server.client()
        try await second.ok("AUTH SESSION \(table.firstSession)")
        try await table.first.ok("SAY \(table.match) one")
        try await second.ok("SAY \(table.match) two")
        try await table.first.ok("SAY \(table.match) three")
        try await second.err("SAY \(table.match) four", "rate_limited")
        try await server.stop()
    }
}
