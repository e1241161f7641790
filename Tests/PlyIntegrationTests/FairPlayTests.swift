import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import Testing

/// Attacks of one account on others, each replayed through TCP against a real server and
/// PostgreSQL, each doing no harm: lobby starvation, rating traps, challenge floods, cheap
/// accounts, parallel password guesses, a retried move claimed by the wrong player.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct FairPlayTests {
    /// One account posted 50 open one-second traps and an honest challenge vanished from
    /// `OPEN`. Now one player has at most 5 open challenges, and the lobby shows the newest
    /// challenge of each creator first.
    @Test func oneAccountCannotFillTheLobby() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let (attacker, a) = try await server.player("flooder")
        for _ in 0..<5 { try await attacker.ok(#"CHALLENGE open reversi {"turn_seconds":1,"side":"second"}"#) }
        for _ in 0..<45 {
            try await attacker.err(#"CHALLENGE open reversi {"turn_seconds":1,"side":"second"}"#, "rate_limited")
        }
        let (honest, h) = try await server.player("honest")
        let mine = try #require(try await honest.ok("CHALLENGE open reversi")["match"]?.stringValue)
        let (browser, _) = try await server.player("browser")
        let lobby = try #require(try await browser.ok("OPEN reversi").arrayValue)
        #expect(lobby.first?["match"]?.stringValue == mine, "the newest challenge comes first")
        #expect(lobby.first?["from"]?.stringValue == h.player)
        #expect(lobby.filter { $0["from"]?.stringValue == a.player }.count == 1, "one per creator: \(lobby)")
        #expect(lobby.count == 2)
        // Withdrawing one frees a place.
        let theirs = try #require(try await attacker.ok("MATCHES").arrayValue?.first?["match"]?.stringValue)
        try await attacker.ok("DECLINE \(theirs)")
        try await attacker.ok("CHALLENGE open reversi")
        try await server.stop()
    }

    /// `OPEN` lists at most 50 challenges, newest first, however many creators post one.
    @Test func theLobbyShowsFiftyAtMost() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        var posted: [String] = []
        for n in 0..<51 {
            let (c, _) = try await server.player("lobby\(n)")
            posted.append(try #require(try await c.ok("CHALLENGE open reversi")["match"]?.stringValue))
            await c.close()
        }
        let (browser, _) = try await server.player("lobby-browser")
        let lobby = try #require(try await browser.ok("OPEN reversi").arrayValue).compactMap { $0["match"]?.stringValue }
        #expect(lobby == Array(posted.suffix(50).reversed()))
        try await server.stop()
    }

    /// Open challenges nobody accepts end `aborted` (`expired`) and leave the lobby.
    @Test func openChallengesExpire() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh()) {
            $0.engine.openChallengeSeconds = 1
            $0.engine.deadlinePollSeconds = 0.2
        }
        let (c, _) = try await server.player("patient")
        let match = try #require(try await c.ok("CHALLENGE open reversi")["match"]?.stringValue)
        let end = try await c.event("end")
        #expect(end["match"]?.stringValue == match)
        #expect(end["result"]?["reason"]?.stringValue == "expired")
        let (late, _) = try await server.player("late")
        #expect(try await late.ok("OPEN").arrayValue?.isEmpty == true)
        try await late.err("ACCEPT \(match)", "game_over")
        #expect(try await c.ok("MATCH \(match)")["status"]?.stringValue == "aborted")
        try await server.stop()
    }

    /// The trap: the accepter moves first with one second on the clock. Missing a first move
    /// is no loss: the match ends `aborted` (`no_start`) and nobody's rating moves.
    @Test func missingTheFirstMoveAbortsUnrated() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh()) { $0.engine.deadlinePollSeconds = 0.2 }
        let (trapper, t) = try await server.player("trapper")
        let match = try #require(
            try await trapper.ok(#"CHALLENGE open reversi {"turn_seconds":1,"side":"second"}"#)["match"]?.stringValue)
        let (victim, v) = try await server.player("victim")
        try await victim.ok("ACCEPT \(match)")
        let end = try await victim.event("end")
        #expect(end["result"]?["reason"]?.stringValue == "no_start")
        #expect(end["result"]?["winner"] == .null)
        #expect(try await victim.ok("MATCH \(match)")["status"]?.stringValue == "aborted")
        for id in [t.player, v.player] {
            let stats = try await victim.ok("PROFILE \(id)")["stats"]
            #expect(stats?["reversi"] == nil, "no rating for \(id): \(String(describing: stats))")
        }
        // The second player missing their first move after one reply is no loss either.
        let m2 = try #require(
            try await trapper.ok(#"CHALLENGE open reversi {"turn_seconds":2,"side":"first"}"#)["match"]?.stringValue)
        try await victim.ok("ACCEPT \(m2)")
        try await trapper.ok("MOVE \(m2) 1 f5")
        #expect(try await trapper.event("end", of: m2)["result"]?["reason"]?.stringValue == "no_start")
        try await server.stop()
    }

    /// A match is rated only once each player has moved, and never with `"rated":false`.
    @Test func onlyMatchesWhereBothMovedAreRated() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh())
        let early = try await server.table("reversi")
        try await early.first.ok("MOVE \(early.match) 1 f5")
        try await early.first.ok("RESIGN \(early.match)")
        #expect(try await early.first.ok("PROFILE")["stats"]?["reversi"] == nil, "one move each is needed")

        let casual = try await server.table("reversi", settings: #"{"side":"first","rated":false}"#)
        try await server.play(casual, ["f5", "d6"])
        try await casual.first.ok("RESIGN \(casual.match)")
        #expect(try await casual.second.ok("PROFILE")["stats"]?["reversi"] == nil)
        #expect(try await casual.second.ok("MATCH \(casual.match)")["settings"]?["rated"]?.boolValue == false)

        let rated = try await server.table("reversi")
        try await server.play(rated, ["f5", "d6"])
        try await rated.first.ok("RESIGN \(rated.match)")
        let winner = try #require(try await rated.second.ok("PROFILE")["stats"]?["reversi"])
        #expect(winner["won"]?.intValue == 1)
        #expect((winner["rating"]?.intValue ?? 0) > 1500)
        try await server.stop()
    }

    /// 1,000 accounts came from one address in a second. Now at most
    /// `newAccountsPerAddress` are made per address and hour; logging in to an existing
    /// account is never refused for it.
    @Test func newAccountsPerAddressAreLimited() async throws {
        let server = try await TestServer.start { $0.engine.newAccountsPerAddress = 3 }
        var made: [LoggedIn] = []
        for _ in 0..<3 { made.append(try await server.player("cheap").1) }
        let c = try await server.client()
        let refusal = try await c.err("AUTH DEVICE cheap-\(UUID().uuidString)", "rate_limited")
        #expect(refusal.contains("new accounts"))
        let again = try await server.client()
        #expect(try await again.authDevice(made[0].deviceID).player == made[0].player, "an existing device still logs in")
        let resumed = try await server.client()
        try await resumed.ok("AUTH SESSION \(made[1].session)")
        try await server.stop()
    }

    /// 300 challenges from one account meant 300 notifications and 300 emails. Now one
    /// invitation waits per opponent and game, and challenge emails are one per player and
    /// hour whoever challenges.
    @Test func challengeFloodsAreRefusedAndEmailsCoalesced() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database) { $0.engine.maximumPendingInvitations = 2 }
        let (target, p1) = try await server.player("target")
        try await target.ok("LINK EMAIL target-\(UUID().uuidString.prefix(8))@example.com correct-horse")
        try await target.ok(#"PROFILE SET {"email_turn_alerts":true}"#)
        await target.close()
        let (flooder, _) = try await server.player("flooder")
        try await flooder.waitOffline(p1.player)
        try await flooder.ok("CHALLENGE \(p1.player) reversi")
        for _ in 0..<30 { try await flooder.err("CHALLENGE \(p1.player) reversi", "rate_limited") }
        try await flooder.ok("CHALLENGE \(p1.player) hive")
        try await flooder.err("CHALLENGE \(p1.player) khet", "rate_limited")  // two invitations wait already
        for n in 0..<3 {
            let (other, _) = try await server.player("other\(n)")
            try await other.ok("CHALLENGE \(p1.player) reversi")
        }
        // Five challenges, five notifications, one email.
        var notes: [String] = []
        for _ in 0..<50 where notes.count < 5 {
            try await Task.sleep(for: .milliseconds(100))
            notes = try await query(database, "SELECT id FROM notifications WHERE player_id = '\(p1.player)' AND kind = 'challenge'")
        }
        #expect(notes.count == 5)
        let mail = try await query(database, "SELECT notification_id FROM outbox WHERE player_id = '\(p1.player)'")
        #expect(mail.count == 1, "one challenge email an hour: \(mail)")
        try await server.stop()
    }

    /// Inviting and withdrawing in a loop kept no invitation waiting, so the caps never
    /// bit, and each turn left the offline target a notification of the challenge and one
    /// of its end (and perhaps an email each). Now invitations that end unanswered count per
    /// hour, per invited player and in all, and a withdrawn one leaves nothing behind;
    /// invitations that are played (rematches) do not count.
    @Test func inviteAndWithdrawLoopsAreLimited() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database) { $0.engine.maximumChallengesPerHour = 6 }
        let (target, p1) = try await server.player("loop-target")
        try await target.ok("LINK EMAIL loop-target-\(UUID().uuidString.prefix(8))@example.com correct-horse")
        try await target.ok(#"PROFILE SET {"email_turn_alerts":true}"#)
        await target.close()
        let (flooder, fl) = try await server.player("looper")
        try await flooder.waitOffline(p1.player)
        for _ in 0..<5 {
            let m = try #require(try await flooder.ok("CHALLENGE \(p1.player) reversi")["match"]?.stringValue)
            try await flooder.ok("DECLINE \(m)")
        }
        try await flooder.err("CHALLENGE \(p1.player) reversi", "rate_limited")
        try await flooder.err("CHALLENGE \(p1.player) hive", "rate_limited")
        // Another player may still be invited, until six in all ended unanswered this hour.
        let (friend, f) = try await server.player("loop-friend")
        let sixth = try #require(try await flooder.ok("CHALLENGE \(f.player) reversi")["match"]?.stringValue)
        try await friend.ok("DECLINE \(sixth)")
        try await flooder.err("CHALLENGE open khet", "rate_limited")
        // Played invitations do not count: the friend's rematches go on.
        for _ in 0..<7 {
            let m = try #require(try await friend.ok("CHALLENGE \(fl.player) reversi")["match"]?.stringValue)
            try await flooder.ok("ACCEPT \(m)")
            try await friend.ok("RESIGN \(m)")
        }
        // The target was left five challenge notifications, each taken back with its
        // invitation, and no `ended` ones; one email.
        var notes: [String] = []
        for _ in 0..<50 where notes.count < 5 {
            try await Task.sleep(for: .milliseconds(100))
            notes = try await query(database, "SELECT kind FROM notifications WHERE player_id = '\(p1.player)'")
        }
        try await flooder.waitLazyWritesFlushed()
        notes = try await query(database, "SELECT kind FROM notifications WHERE player_id = '\(p1.player)'")
        #expect(notes.sorted() == Array(repeating: "challenge", count: 5))
        #expect(try await query(database, "SELECT id FROM notifications WHERE player_id = '\(p1.player)' AND read_at IS NULL") == [])
        let mail = try await query(database, "SELECT notification_id FROM outbox WHERE player_id = '\(p1.player)'")
        #expect(mail.count == 1, "one challenge email an hour: \(mail)")
        try await server.stop()
    }

    /// Each account may invite a player once per game, but many cheap accounts could bury
    /// that player's MATCHES and NOTIFICATIONS under invitations. Past the cap on invitations
    /// waiting for one player, more are refused until some are answered.
    @Test func aPlayerCannotBeBuriedInInvitations() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh()) { $0.engine.maximumInvitationsReceived = 4 }
        let (target, p1) = try await server.player("buried")
        var invitations: [String] = []
        for n in 0..<2 {
            let (c, _) = try await server.player("burier\(n)")
            for game in ["reversi", "hive"] {
                invitations.append(try #require(try await c.ok("CHALLENGE \(p1.player) \(game)")["match"]?.stringValue))
            }
        }
        let (late, _) = try await server.player("burier-late")
        try await late.err("CHALLENGE \(p1.player) khet", "rate_limited")
        // Open challenges and other players are not affected; an answer frees a place.
        try await late.ok("CHALLENGE open khet")
        try await target.ok("DECLINE \(invitations[0])")
        try await late.ok("CHALLENGE \(p1.player) khet")
        // Full again, a player the target has played (both moved) still gets through; one who
        // only accepted a challenge and left does not.
        let (friend, f) = try await server.player("buried-friend")
        let played = try #require(try await target.ok(#"CHALLENGE \#(f.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        try await friend.ok("ACCEPT \(played)")
        let (passer, q) = try await server.player("buried-passer")
        let left = try #require(try await target.ok("CHALLENGE \(q.player) hive")["match"]?.stringValue)
        try await passer.ok("ACCEPT \(left)")
        try await passer.ok("RESIGN \(left)")
        try await passer.err("CHALLENGE \(p1.player) khet", "rate_limited")
        try await target.ok("MOVE \(played) 1 f5")
        try await friend.ok("MOVE \(played) 2 d6")
        try await friend.ok("RESIGN \(played)")
        try await server.player("burier-stranger").0.err("CHALLENGE \(p1.player) khet", "rate_limited")
        try await friend.ok("CHALLENGE \(p1.player) khet")
        try await server.stop()
    }

    /// Invitations sent at once by many accounts meet the cap on invitations waiting for one
    /// player: each counts those still being made (before, each read the stored count alone,
    /// and ten of forty got through a cap of four).
    @Test func invitationsSentAtOnceMeetTheCap() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database) { $0.engine.maximumInvitationsReceived = 4 }
        let (_, target) = try await server.player("crowded")
        var senders: [TestClient] = []
        for n in 0..<16 { senders.append(try await server.player("crowder\(n)").0) }
        for c in senders { try await c.send("CHALLENGE \(target.player) reversi") }
        var replies: [String] = []
        for c in senders { replies.append(try await c.reply()) }
        let made = replies.filter { $0.hasPrefix("OK") }.count
        #expect(made >= 1 && made <= 4, "\(made) made: \(replies)")
        #expect(replies.allSatisfy { $0.hasPrefix("OK") || $0.hasPrefix("ERR rate_limited") }, "\(replies)")
        let waiting = try await query(
            database, "SELECT id FROM matches WHERE invitee = '\(target.player)' AND status = 'invited'")
        #expect(waiting.count == made)
        try await server.stop()
    }

    /// One account taking every stranger's open challenge (or automatch pairing) and never
    /// moving held each game for its first turn, days, before it ended `no_start`. Past two
    /// matches waiting for its first move (the cap here), it may take no open challenge and
    /// queue nowhere, also when it tries on many connections at once; an invitation to it
    /// still goes through, a move frees a place, and a match where the opponent moves first
    /// does not count until it is the player's turn.
    @Test func aSquatterTakesOnlySoManyOpenChallenges() async throws {
        let server = try await TestServer.start(database: TestDatabase.fresh()) { $0.engine.maximumUnmovedMatches = 2 }
        let (squatter, sq) = try await server.player("squatter")
        var open: [String] = []
        for n in 0..<9 {
            // The creator plays second: whoever accepts owes the first move.
            let (c, _) = try await server.player("open-creator\(n)")
            open.append(try #require(try await c.ok(#"CHALLENGE open reversi {"side":"second"}"#)["match"]?.stringValue))
        }
        // Five connections of the squatter take five open challenges at once: at most two get
        // them (a race may refuse early, never let more through).
        var connections: [TestClient] = [squatter]
        for _ in 1..<5 {
            let c = try await server.client()
            try await c.ok("AUTH SESSION \(sq.session)")
            connections.append(c)
        }
        for (c, m) in zip(connections, open) { try await c.send("ACCEPT \(m)") }
        var replies: [String] = []
        for c in connections { replies.append(try await c.reply()) }
        let oks = replies.filter { $0.hasPrefix("OK") }.count
        #expect(oks >= 1 && oks <= 2, "\(replies)")
        #expect(replies.filter { $0.hasPrefix("ERR rate_limited") }.count == 5 - oks, "\(replies)")
        var taken = zip(replies, open).filter { $0.0.hasPrefix("OK") }.map(\.1)
        var spare = Array(open[5...])
        while taken.count < 2 {
            try await squatter.ok("ACCEPT \(spare[0])")
            taken.append(spare.removeFirst())
        }
        try await squatter.err("ACCEPT \(spare[0])", "rate_limited")
        try await squatter.err("QUEUE khet", "rate_limited")
        // An invitation is the inviter's choice: it may still be accepted (it counts too: a
        // game just joined in which nobody has moved).
        let (friend, _) = try await server.player("squatter-friend")
        let invitation = try #require(try await friend.ok(#"CHALLENGE \#(sq.player) reversi {"side":"first"}"#)["match"]?.stringValue)
        try await squatter.ok("ACCEPT \(invitation)")
        // Moves free places.
        try await squatter.ok("MOVE \(taken[0]) 1 f5")
        try await squatter.err("QUEUE khet", "rate_limited")
        try await squatter.ok("MOVE \(taken[1]) 1 f5")
        try await squatter.ok("QUEUE khet")
        try await squatter.ok("QUEUE khet")  // asked again while waiting: as before
        // A queue it waits in counts as a game it may be handed.
        try await squatter.err("ACCEPT \(spare[0])", "rate_limited")
        try await squatter.ok("UNQUEUE khet")
        try await squatter.ok("ACCEPT \(spare[0])")
        try await friend.ok("MOVE \(invitation) 1 f5")
        try await squatter.err("ACCEPT \(spare[1])", "rate_limited")
        try await squatter.ok("MOVE \(invitation) 2 d6")
        // A game whose creator moves first counts from the start too, for ten minutes.
        let (firstMover, _) = try await server.player("first-mover")
        let creatorFirst = try #require(try await firstMover.ok(#"CHALLENGE open reversi {"side":"first"}"#)["match"]?.stringValue)
        try await squatter.ok("ACCEPT \(creatorFirst)")
        try await squatter.err("ACCEPT \(spare[1])", "rate_limited")
        try await server.stop()
    }

    /// 100 parallel wrong passwords gave 64 real checks before `rate_limited`. Now password
    /// attempts count from their start, so at most the per-address limit are checked; and
    /// the limit applies to passwords only, so device and session logins from that address
    /// (a shared NAT) still work.
    @Test func parallelPasswordGuessesMeetTheAddressLimit() async throws {
        let server = try await TestServer.start {
            $0.engine.authFailuresPerIP = 10
            $0.engine.authFailuresPerAccount = 1000
        }
        let (owner, me) = try await server.player("owner")
        let email = "guess-\(UUID().uuidString.prefix(8))@example.com"
        try await owner.ok("LINK EMAIL \(email) correct-horse")
        var clients: [TestClient] = []
        for _ in 0..<40 { clients.append(try await server.client()) }
        for (i, c) in clients.enumerated() { try await c.send("AUTH EMAIL \(email) wrong-guess-\(i)") }
        var checked = 0
        var refused = 0
        for c in clients {
            let r = try await c.reply()
            if r.hasPrefix("ERR unauthenticated") { checked += 1 }
            if r.hasPrefix("ERR rate_limited") { refused += 1 }
        }
        #expect(checked == 10, "password checks run: \(checked)")
        #expect(refused == 30)
        let device = try await server.client()
        #expect(try await device.authDevice(me.deviceID).player == me.player)
        let session = try await server.client()
        try await session.ok("AUTH SESSION \(me.session)")
        let fresh = try await server.client()
        _ = try await fresh.authDevice("someone-new-\(UUID().uuidString)")
        try await server.stop()
    }

    /// After the first player's `MOVE m 1 f5` is accepted, the second player's identical
    /// request is `stale_ply`: a duplicate is only the mover's own.
    @Test func aDuplicateIsOnlyTheMoversOwn() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await t.first.ok("MOVE \(t.match) 1 f5")
        try await t.second.err("MOVE \(t.match) 1 f5", "stale_ply")
        #expect(try await t.first.ok("MOVE \(t.match) 1 f5")["duplicate"]?.boolValue == true)
        try await t.second.ok("MOVE \(t.match) 2 d6")
        try await t.second.err("MOVE \(t.match) 1 f5", "stale_ply")  // an older ply: still not theirs
        try await t.first.err("MOVE \(t.match) 2 d6", "stale_ply")
        #expect(try await t.second.ok("MOVE \(t.match) 2 d6")["duplicate"]?.boolValue == true)
        try await server.stop()
    }

    /// Names that render as nothing or paint over their neighbours are refused.
    @Test func namesMustBeVisibleAndShort() async throws {
        let server = try await TestServer.start()
        let (c, _) = try await server.player("namer")
        try await c.err("NAME a" + String(repeating: "\u{0301}", count: 3000), "bad_request")  // 6,001 bytes, one character
        try await c.err("NAME \u{3164}", "bad_request")  // Hangul filler: invisible
        try await c.err("NAME \u{3164}\u{3164}", "bad_request")
        try await c.err("NAME Zo\u{0308}\u{0301}\u{0302}\u{0303}", "bad_request")  // four marks in a row
        try await c.ok("NAME Zoe\u{0308}")
        try await c.ok("NAME Nguyễn Văn")
        #expect(try await c.ok("PROFILE")["name"]?.stringValue == "Nguyễn Văn")
        try await server.stop()
    }
}
