import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import Testing

/// Operator connections (`AUTH ADMIN`) and every `ADMIN` verb, through TCP, with the audit
/// rows they leave in PostgreSQL.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct OperatorTests {
    static let token = "operator-token-for-tests-0123456789abcdef"

    static func server(_ database: DatabaseURL? = nil) async throws -> TestServer {
        try await TestServer.start(database: database) { $0.engine.adminToken = token }
    }

    static func admin(_ server: TestServer) async throws -> TestClient {
        let c = try await server.client()
        #expect(try await c.ok("AUTH ADMIN \(token)")["admin"]?.boolValue == true)
        return c
    }

    /// Operator verbs need a connection opened with the right token on a server that has
    /// one; a player's connection never runs them.
    @Test func operatorVerbsNeedTheToken() async throws {
        let plain = try await TestServer.start()
        let c = try await plain.client()
        try await c.err("ADMIN PLAYER p1", "unauthenticated")
        try await c.err("AUTH ADMIN \(Self.token)", "unauthenticated")  // not enabled here
        try await plain.stop()

        let server = try await Self.server()
        let (player, me) = try await server.player("player")
        try await player.err("ADMIN PLAYER \(me.player)", "forbidden")
        try await player.err("ADMIN BAN \(me.player) forever nope", "forbidden")
        let guesser = try await server.client()
        try await guesser.err("AUTH ADMIN wrong-token-wrong-token-wrong-token-00", "unauthenticated")
        try await guesser.err("ADMIN REPORTS", "unauthenticated")
        let admin = try await Self.admin(server)
        try await admin.err("MATCHES", "unauthenticated")  // no player on an operator connection
        try await admin.err("ADMIN FROBNICATE x", "bad_request")
        #expect(try await admin.ok("ADMIN PLAYER \(me.player)")["player"]?.stringValue == me.player)
        try await server.stop()
    }

    /// A ban reaches the live connection at once (`EVENT banned`, then closed), refuses every
    /// kind of `AUTH`, ends the player's active matches by forfeit, is in PostgreSQL, and is
    /// audited; an unban lifts it.
    @Test func aBanClosesTheConnectionAndRefusesEveryLogin() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let t = try await server.table("reversi")
        try await server.play(t, ["f5", "d6"])
        let email = "banned-\(UUID().uuidString.prefix(8))@example.com"
        try await t.first.ok("LINK EMAIL \(email) correct-horse")
        let subject = "banned-\(UUID().uuidString)"
        try await t.first.ok("LINK EXTERNAL jwt \(try await TokenFactory.token(subject: subject))")
        // A second device of the same player, to log in with after the ban.
        let deviceID = "banned-device-\(UUID().uuidString)"
        _ = try await query(database, "INSERT INTO devices (device_hash, player_id) VALUES (sha256(convert_to('device:\(deviceID)', 'UTF8')), '\(t.firstID)')")
        let admin = try await Self.admin(server)
        let banned = try await admin.ok("ADMIN BAN \(t.firstID) 3600 abusive chat")
        let until = try #require(banned["until"]?.stringValue)
        let event = try await t.first.event("banned")
        #expect(event["until"]?.stringValue == until)
        #expect(event["reason"]?.stringValue == "abusive chat")
        #expect(await t.first.isClosed())
        let forfeit = try await t.second.event("end", of: t.match)
        #expect(forfeit["result"]?["reason"]?.stringValue == "forfeit")
        #expect(forfeit["result"]?["winner"]?.stringValue == t.secondID)

        #expect(try await server.client().err("AUTH DEVICE \(deviceID)", "forbidden").hasPrefix("banned until "))
        try await server.client().err("AUTH EMAIL \(email) correct-horse", "forbidden")
        try await server.client().err("AUTH SESSION \(t.firstSession)", "forbidden")
        try await server.client().err("AUTH EXTERNAL jwt \(try await TokenFactory.token(subject: subject))", "forbidden")
        #expect(try await query(database, "SELECT ban_reason FROM players WHERE id = '\(t.firstID)'") == ["abusive chat"])
        let view = try await admin.ok("ADMIN PLAYER \(email)")
        #expect(view["banned_until"]?.stringValue == until)
        #expect(view["credentials"] == ["device", "email", "external"])

        try await admin.ok("ADMIN UNBAN \(t.firstID)")
        try await server.client().ok("AUTH SESSION \(t.firstSession)")
        try await admin.ok("ADMIN BAN \(t.firstID) forever cheating")
        try await server.client().err("AUTH SESSION \(t.firstSession)", "forbidden")
        #expect(try await admin.ok("ADMIN PLAYER \(t.firstID)")["banned_until"]?.stringValue == "forever")

        let audit = try await query(database, "SELECT action || ' ' || target || ' ' || reason FROM audit ORDER BY id")
        #expect(audit == ["ban \(t.firstID) abusive chat", "unban \(t.firstID) ", "ban \(t.firstID) cheating"])
        try await server.stop()
    }

    /// A mute stops `SAY` until it ends or is lifted.
    @Test func aMuteSilencesChat() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let t = try await server.table("reversi")
        let admin = try await Self.admin(server)
        try await admin.ok("ADMIN MUTE \(t.firstID) 600 spamming")
        #expect(try await t.first.err("SAY \(t.match) hello", "forbidden").hasPrefix("muted until "))
        try await t.second.ok("SAY \(t.match) the other one still talks")
        let view = try await admin.ok("ADMIN PLAYER \(t.firstID)")
        #expect(view["mute_reason"]?.stringValue == "spamming")
        try await admin.ok("ADMIN UNMUTE \(t.firstID)")
        try await t.first.ok("SAY \(t.match) hello again")
        // A ban and a mute are separate: imposing or lifting one leaves the other.
        try await admin.ok("ADMIN BAN \(t.secondID) 600 spam")
        try await admin.ok("ADMIN MUTE \(t.secondID) 600 spam")
        try await admin.ok("ADMIN UNMUTE \(t.secondID)")
        #expect(try await query(database, "SELECT ban_reason FROM players WHERE id = '\(t.secondID)'") == ["spam"])
        try await server.client().err("AUTH SESSION \(t.secondSession)", "forbidden")
        #expect(try await query(database, "SELECT action FROM audit ORDER BY id") == ["mute", "unmute", "ban", "mute", "unmute"])
        try await server.stop()
    }

    /// Reports reach the operators' queue and leave it once resolved.
    @Test func theReportQueue() async throws {
        let server = try await Self.server(TestDatabase.fresh())
        let (me, _) = try await server.player("reporter")
        let (_, bad) = try await server.player("bad")
        let report = try #require(try await me.ok("REPORT \(bad.player) rude in chat")["report"]?.stringValue)
        let admin = try await Self.admin(server)
        let open = try #require(try await admin.ok("ADMIN REPORTS").arrayValue)
        #expect(open.map { $0["report"]?.stringValue } == [report])
        #expect(open.first?["reported"]?.stringValue == bad.player)
        #expect(try await admin.ok("ADMIN PLAYER \(bad.player)")["reports"]?.arrayValue?.count == 1)
        try await admin.ok("ADMIN RESOLVE \(report) warned by email")
        try await admin.err("ADMIN RESOLVE \(report) twice", "not_found")
        #expect(try await admin.ok("ADMIN REPORTS open").arrayValue?.isEmpty == true)
        let all = try #require(try await admin.ok("ADMIN REPORTS all").arrayValue)
        #expect(all.first?["status"]?.stringValue == "resolved")
        #expect(all.first?["resolution"]?.stringValue == "warned by email")
        try await me.ok("REPORT \(bad.player) again, after the first was resolved")
        try await server.stop()
    }

    /// A crowd of fresh accounts reporting first cannot bury the report of a player who
    /// played the reported one: the queue puts reports between players of a match in which
    /// both moved first (`"played":true`), each part oldest first, and `after <report>` pages
    /// through the rest, even after that report was resolved.
    @Test func reportsFromOpponentsLeadTheQueueAndItPages() async throws {
        let server = try await Self.server(TestDatabase.fresh())
        let t = try await server.table("reversi")
        let admin = try await Self.admin(server)
        // A match accepted and left without moves costs nothing, so it does not count.
        let early = try #require(try await t.first.ok("REPORT \(t.secondID) accepted and left")["report"]?.stringValue)
        #expect(try await admin.ok("ADMIN REPORTS").arrayValue?.first?["played"]?.boolValue == false)
        try await admin.ok("ADMIN RESOLVE \(early) nothing yet")
        try await t.first.ok("MOVE \(t.match) 1 f5")
        try await t.second.ok("MOVE \(t.match) 2 d6")
        var crowd: [String] = []
        for i in 0..<3 {
            let (c, _) = try await server.player("crowd-\(i)")
            crowd.append(try #require(try await c.ok("REPORT \(t.secondID) crowd report \(i)")["report"]?.stringValue))
        }
        let real = try #require(try await t.first.ok("REPORT \(t.secondID) cheated in our match")["report"]?.stringValue)
        let queue = try #require(try await admin.ok("ADMIN REPORTS").arrayValue)
        #expect(queue.map { $0["report"]?.stringValue } == [real] + crowd)
        #expect(queue.map { $0["played"]?.boolValue } == [true, false, false, false])
        // Paging: after each report comes the rest of the same order; after the last, nothing.
        #expect(try await admin.ok("ADMIN REPORTS after \(real)").arrayValue?.map { $0["report"]?.stringValue } == crowd)
        #expect(try await admin.ok("ADMIN REPORTS open after \(crowd[0])").arrayValue?.map { $0["report"]?.stringValue } == Array(crowd[1...]))
        #expect(try await admin.ok("ADMIN REPORTS after \(crowd[2])").arrayValue?.isEmpty == true)
        try await admin.err("ADMIN REPORTS after r999999", "not_found")
        // Resolving the last report shown does not lose the operator's place.
        try await admin.ok("ADMIN RESOLVE \(crowd[0]) nothing to see")
        #expect(try await admin.ok("ADMIN REPORTS open after \(crowd[0])").arrayValue?.map { $0["report"]?.stringValue } == Array(crowd[1...]))
        // The whole queue: the early report, now between players who both moved, leads; and
        // stays there once the match is aborted (a report never moves back between pages).
        #expect(try await admin.ok("ADMIN REPORTS all").arrayValue?.map { $0["report"]?.stringValue } == [early, real] + crowd)
        try await admin.ok("ADMIN ABORT \(t.match) looking into the reports")
        let afterAbort = try #require(try await admin.ok("ADMIN REPORTS all").arrayValue)
        #expect(afterAbort.map { $0["report"]?.stringValue } == [early, real] + crowd)
        #expect(afterAbort.prefix(2).allSatisfy { $0["played"]?.boolValue == true })
        // Reports about a player, in the operator's view of them, carry no queue position.
        let about = try #require(try await admin.ok("ADMIN PLAYER \(t.secondID)")["reports"]?.arrayValue)
        #expect(about.count == 5 && about.allSatisfy { $0["played"] == nil })
        try await server.stop()
    }

    /// An address linked by someone who does not own it: `ADMIN UNLINK` takes it (and its
    /// password login) off that account, with the mail not yet sent to it, so its owner can
    /// link it and it gets no more alerts; the account keeps everything else.
    @Test func anOperatorUnlinksASquattedEmail() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let t = try await server.table("reversi")
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await t.secondAwayWithEmail(email, password: "squatters-password", profile: #"{"email_turn_alerts":true}"#)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        let unsent = "SELECT count(*)::text FROM outbox WHERE email = '\(email)' AND sent_at IS NULL"
        for _ in 0..<50 where try await query(database, unsent) != ["1"] { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await query(database, unsent) == ["1"], "an alert waits for the address")

        let (owner, _) = try await server.player("email-owner")
        try await owner.err("LINK EMAIL \(email) owners-password", "conflict")
        let admin = try await Self.admin(server)
        let unlinked = try await admin.ok("ADMIN UNLINK \(email) linked by someone else")
        #expect(unlinked["player"]?.stringValue == t.secondID)
        #expect(unlinked["email"]?.stringValue == email)
        #expect(try await query(database, unsent) == ["0"])
        #expect(
            try await query(database, "SELECT action || ' ' || target || ' ' || (detail::json->>'email') FROM audit")
                == ["unlink \(t.secondID) \(email)"])
        try await server.client().err("AUTH EMAIL \(email) squatters-password", "unauthenticated")
        try await owner.ok("LINK EMAIL \(email) owners-password")
        try await admin.err("ADMIN UNLINK \(t.secondID) again", "not_found")
        try await server.client().ok("AUTH SESSION \(t.secondSession)")
        try await server.stop()
    }

    /// `ADMIN ABORT` ends a match `aborted`, unrated, and tells its players.
    @Test func anOperatorAbortsAMatch() async throws {
        let server = try await Self.server()
        let t = try await server.table("reversi")
        try await server.play(t, ["f5", "d6"])
        let admin = try await Self.admin(server)
        let ended = try await admin.ok("ADMIN ABORT \(t.match) players reported a bug")
        #expect(ended["result"]?["reason"]?.stringValue == "operator")
        #expect(try await t.first.event("end", of: t.match)["result"]?["reason"]?.stringValue == "operator")
        #expect(try await t.first.ok("MATCH \(t.match)")["status"]?.stringValue == "aborted")
        #expect(try await t.first.ok("PROFILE")["stats"]?["reversi"] == nil, "unrated")
        try await admin.err("ADMIN ABORT \(t.match) again", "game_over")
        try await admin.err("ADMIN ABORT m999999999 nothing", "not_found")
        try await server.stop()
    }

    /// `ADMIN BOT` marks an account: its profile and its open challenges say so.
    @Test func botsAreMarked() async throws {
        let server = try await Self.server(TestDatabase.fresh())
        let (bot, b) = try await server.player("bot")
        let admin = try await Self.admin(server)
        #expect(try await admin.ok("ADMIN BOT \(b.player) on")["bot"]?.boolValue == true)
        let (other, _) = try await server.player("human")
        #expect(try await other.ok("PROFILE \(b.player)")["bot"]?.boolValue == true)
        try await bot.ok("CHALLENGE open reversi")
        #expect(try await other.ok("OPEN reversi").arrayValue?.first?["bot"]?.boolValue == true)
        try await admin.ok("ADMIN BOT \(b.player) off")
        #expect(try await other.ok("PROFILE \(b.player)")["bot"] == nil)
        try await admin.err("ADMIN BOT nobody-at-all on", "not_found")
        try await server.stop()
    }

    /// `ply admin` sends one operator request from a shell and prints the reply's JSON; a
    /// refused request exits 1 with the error on standard error.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.binary.path), "build the ply binary first"))
    func theCommandLineSendsOneOperatorRequest() async throws {
        let server = try await Self.server(TestDatabase.fresh())
        let (_, p) = try await server.player("subject")
        let target = "127.0.0.1:\(server.port)"
        let view = try CommandLineTests.ply(["admin", "player", p.player, "--target", target, "--token", Self.token])
        #expect(view.status == 0, "\(view.err)")
        #expect(try JSONValue(parsing: view.out.trimmingCharacters(in: .whitespacesAndNewlines))["player"]?.stringValue == p.player)
        let muted = try CommandLineTests.ply(["admin", "mute", p.player, "60", "too", "loud", "--target", target, "--token", Self.token])
        #expect(muted.status == 0, "\(muted.err)")
        let admin = try await Self.admin(server)
        #expect(try await admin.ok("ADMIN PLAYER \(p.player)")["mute_reason"]?.stringValue == "too loud")
        let wrong = try CommandLineTests.ply(["admin", "unban", "nobody-at-all", "--target", target, "--token", Self.token])
        #expect(wrong.status == 1)
        #expect(wrong.err.contains("not_found"), "\(wrong.err)")
        let badToken = try CommandLineTests.ply(["admin", "reports", "--target", target, "--token", "x" + Self.token])
        #expect(badToken.status == 1)
        #expect(badToken.err.contains("unauthenticated"), "\(badToken.err)")
        try await server.stop()
    }
}
