import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import Testing

/// `ply serve --email-confirmation`: a linked address logs in at once, as `LINK EMAIL`
/// promises, but is mailed a code and gets no alerts until the player sends it back; off (the
/// default), an address counts as confirmed when linked. Through TCP, against PostgreSQL.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct EmailConfirmationTests {
    static func server(_ database: DatabaseURL, confirming: Bool = true) async throws -> TestServer {
        try await TestServer.start(database: database) { $0.engine.emailConfirmation = confirming }
    }

    static func code(_ database: DatabaseURL, _ email: String) async throws -> [String] {
        try await query(database, "SELECT code FROM outbox WHERE kind = 'confirm' AND email = '\(email)' ORDER BY id")
    }

    /// Nobody can point a stream of turn alerts at an address they do not own: until the code
    /// mailed to it comes back, the player's alerts stay out of the outbox.
    @Test func alertsWaitForTheCodeMailedToTheAddress() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let t = try await server.table("reversi")
        let email = "confirm-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        #expect(try await t.second.ok("LINK EMAIL \(email) confirm-password")["confirmed"]?.boolValue == false)
        try await server.client().ok("AUTH EMAIL \(email) confirm-password")
        let code = try #require(try await Self.code(database, email).first)
        #expect(code.count == 8 && code.allSatisfy(\.isNumber))
        #expect(try await query(database, "SELECT count(*)::text FROM emails WHERE confirmed_at IS NULL") == ["1"])

        // Away and alerted, unconfirmed: the notification is stored, the mail is not.
        try await t.second.ok(#"PROFILE SET {"email_turn_alerts":true}"#)
        await t.second.close()
        try await t.first.waitOffline(t.secondID)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        // The notification and its mail are written in one flush: once it is there, so is any mail.
        try await waitFor(database, "SELECT id FROM notifications WHERE player_id = '\(t.secondID)' AND kind = 'your_turn'", count: 1)
        #expect(try await query(database, "SELECT kind FROM outbox WHERE kind <> 'confirm'") == [])

        let back = try await server.client()
        try await back.ok("AUTH SESSION \(t.secondSession)")
        try await back.err("CONFIRM EMAIL \(code == "00000000" ? "11111111" : "00000000")", "unauthenticated")
        #expect(try await back.ok("CONFIRM EMAIL \(code)")["confirmed"]?.boolValue == true)
        try await back.err("CONFIRM EMAIL \(code)", "conflict")
        // Confirmed and away again: the next notification (a challenge; the turn alert of the
        // match is already waiting unread) is mailed.
        await back.close()
        try await t.first.waitOffline(t.secondID)
        try await t.first.ok("CHALLENGE \(t.secondID) hive")
        try await waitFor(database, "SELECT id FROM outbox WHERE kind = 'challenge' AND email = '\(email)'", count: 1)
        try await server.stop()
    }

    /// Asking again mails a new code, the old one stops working and its unsent mail is
    /// dropped; three codes an hour, and ten wrong tries in 15 minutes, after which even the
    /// right code waits.
    @Test func codesAreLimitedAndOnlyTheLastOneWorks() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let (c, _) = try await server.player("confirm-limits")
        let email = "limits-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await c.ok("LINK EMAIL \(email) limits-password")
        let first = try #require(try await Self.code(database, email).first)
        #expect(try await c.ok("CONFIRM EMAIL")["mailed"]?.boolValue == true)
        let codes = try await Self.code(database, email)
        #expect(codes.count == 1, "the first code's unsent mail is dropped")
        var wrongs = 0
        if codes != [first] {
            try await c.err("CONFIRM EMAIL \(first)", "unauthenticated")
            wrongs += 1
        }
        try await c.ok("CONFIRM EMAIL")
        try await c.err("CONFIRM EMAIL", "rate_limited")
        let last = try #require(try await Self.code(database, email).last)
        let wrong = last == "00000000" ? "11111111" : "00000000"
        while wrongs < 10 {
            try await c.err("CONFIRM EMAIL \(wrong)", "unauthenticated")
            wrongs += 1
        }
        try await c.err("CONFIRM EMAIL \(last)", "rate_limited")
        try await server.stop()
    }

    /// Cheap accounts taking turns on one address (with +tags, or deleting and linking again)
    /// cannot turn codes into a stream of mail: an address gets 5 codes a day in all.
    @Test func anAddressGetsAFewCodesADayWhoeverLinksIt() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let victim = "victim-\(UUID().uuidString.prefix(8).lowercased())"
        let (a, _) = try await server.player("code-spammer-a")
        #expect(try await a.ok("LINK EMAIL \(victim)+a@example.com spam-password")["mailed"]?.boolValue == true)
        try await a.ok("CONFIRM EMAIL")
        try await a.ok("CONFIRM EMAIL")
        try await a.err("CONFIRM EMAIL", "rate_limited")  // three an hour per player
        let (b, bo) = try await server.player("code-spammer-b")
        #expect(try await b.ok("LINK EMAIL \(victim)+b@example.com spam-password")["mailed"]?.boolValue == true)
        try await b.ok("CONFIRM EMAIL")
        #expect(try await b.err("CONFIRM EMAIL", "rate_limited").contains("codes today"))
        try await b.ok("DELETE ACCOUNT \(bo.player)")
        let (c, _) = try await server.player("code-spammer-c")
        #expect(try await c.ok("LINK EMAIL \(victim)@example.com spam-password")["mailed"]?.boolValue == false)
        #expect(try await query(database, "SELECT mailed::text FROM confirm_mails") == ["\(AccountStore.confirmationMailsPerDay)"])
        try await server.stop()
    }

    /// Links of one address by many accounts at the same moment pass the daily count no more
    /// than one after another would: exactly 5 of 8 are mailed.
    @Test func linksAtTheSameMomentShareTheAddressCount() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let victim = "crowd-\(UUID().uuidString.prefix(8).lowercased())"
        var clients: [TestClient] = []
        for i in 0..<8 { clients.append(try await server.player("code-crowd-\(i)").0) }
        let mailed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (i, c) in clients.enumerated() {
                group.addTask { try await c.ok("LINK EMAIL \(victim)+\(i)@example.com crowd-password")["mailed"]?.boolValue == true }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(mailed == AccountStore.confirmationMailsPerDay)
        #expect(try await query(database, "SELECT count(*)::text FROM outbox WHERE kind = 'confirm'") == ["\(mailed)"])
        try await server.stop()
    }

    /// Wrong codes sent at the same moment on many connections of one player count from
    /// their start: at most 10 are checked, the rest answer `rate_limited`.
    @Test func wrongCodesAtOnceMeetTheLimit() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let (c, me) = try await server.player("code-guesser")
        try await c.ok("LINK EMAIL guesser-\(UUID().uuidString.prefix(8).lowercased())@example.com guess-password")
        var connections: [TestClient] = []
        for _ in 0..<20 {
            let extra = try await server.client()
            try await extra.ok("AUTH SESSION \(me.session)")
            connections.append(extra)
        }
        let replies = try await withThrowingTaskGroup(of: String.self) { group in
            for (i, extra) in connections.enumerated() {
                group.addTask { try await extra.call("CONFIRM EMAIL \(String(format: "%08d", 10_000_000 + i))") }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let checked = replies.filter { $0.hasPrefix("ERR unauthenticated") }.count
        #expect(checked <= 10, "\(checked) guesses checked")
        #expect(replies.filter { $0.hasPrefix("ERR rate_limited") }.count == 20 - checked, "\(replies)")
        try await server.stop()
    }

    /// A digest, like a single alert, waits for the address to be confirmed.
    @Test func digestsWaitForConfirmationToo() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database)
        let t = try await server.table("reversi")
        try await t.secondAwayWithEmail(
            "digest-confirm-\(UUID().uuidString.prefix(8).lowercased())@example.com", profile: #"{"email_digest_hours":1}"#)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        // The notification and any digest are written in one flush.
        try await waitFor(database, "SELECT id FROM notifications WHERE player_id = '\(t.secondID)' AND kind = 'your_turn'", count: 1)
        #expect(try await query(database, "SELECT kind FROM outbox WHERE kind <> 'confirm'") == [])
        try await server.stop()
    }

    /// Off (the default), an address is confirmed when linked: nothing is mailed, and there
    /// is nothing to confirm.
    @Test func withoutConfirmationAnAddressCountsAsConfirmed() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.server(database, confirming: false)
        let (c, _) = try await server.player("confirm-off")
        let linked = try await c.ok("LINK EMAIL off-\(UUID().uuidString.prefix(8).lowercased())@example.com off-password")
        #expect(linked["confirmed"] == nil)
        try await c.err("CONFIRM EMAIL", "conflict")
        #expect(try await query(database, "SELECT count(*)::text FROM emails WHERE confirmed_at IS NOT NULL") == ["1"])
        #expect(try await query(database, "SELECT count(*)::text FROM outbox") == ["0"])
        try await server.stop()
    }
}
