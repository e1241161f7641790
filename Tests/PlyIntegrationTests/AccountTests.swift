import Foundation
import PlyJSON
import PlyEngine
import PlyServer
import PlyStore
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct AccountTests {
    @Test func deviceLoginCreatesOnceAndKeepsThePlayer() async throws {
        let server = try await TestServer.start()
        let device = "device-\(UUID().uuidString)"
        let a = try await server.client()
        let first = try await a.authDevice(device)
        #expect(first.new)
        #expect(first.player.hasPrefix("p"))
        #expect(first.session.count >= 22, "a session token carries at least 128 bits")
        try await a.err("AUTH DEVICE \(device)", "conflict")  // already logged in on this connection
        let b = try await server.client()
        let again = try await b.authDevice(device)
        #expect(!again.new)
        #expect(again.player == first.player)
        #expect(again.session != first.session)
        try await server.stop()
    }

    /// Eight devices' first logins race for one new device id: one account is created, and
    /// every connection is logged in to it (the losers read the winner's row).
    @Test func racingFirstLoginsOfOneDeviceMakeOneAccount() async throws {
        let server = try await TestServer.start()
        let device = "device-\(UUID().uuidString)"
        var clients: [TestClient] = []
        for _ in 0..<8 { clients.append(try await server.client()) }
        let logins = try await withThrowingTaskGroup(of: LoggedIn.self) { group in
            for c in clients { group.addTask { try await c.authDevice(device) } }
            var all: [LoggedIn] = []
            for try await l in group { all.append(l) }
            return all
        }
        #expect(Set(logins.map(\.player)).count == 1)
        #expect(logins.filter(\.new).count == 1)
        for c in clients { #expect(try await c.call("PING") == "OK") }
        try await server.stop()
    }

    @Test func emailLinkAndLogin() async throws {
        let server = try await TestServer.start()
        let (a, me) = try await server.player("email")
        let email = "ann-\(UUID().uuidString.prefix(8))@example.com"
        let linked = try await a.ok("LINK EMAIL \(email) correct-horse")
        #expect(linked["player"]?.stringValue == me.player, "the account keeps its id")
        try await a.err("LINK EMAIL other-\(email) correct-horse", "conflict")  // one email per account
        let (b, _) = try await server.player("other")
        try await b.err("LINK EMAIL \(email.uppercased()) whatever-pass", "conflict")  // taken, case-insensitively
        try await b.err("LINK EMAIL not-an-email whatever-pass", "bad_request")
        try await b.err("LINK EMAIL x@y.z short", "bad_request")

        let c = try await server.client()
        try await c.err("AUTH EMAIL \(email) wrong-password", "unauthenticated")
        try await c.err("AUTH EMAIL nobody-\(UUID().uuidString.prefix(6))@example.com correct-horse", "unauthenticated")
        let login = try await c.ok("AUTH EMAIL \(email) correct-horse")
        #expect(login["player"]?.stringValue == me.player)
        #expect(login["new"]?.boolValue == false)
        try await server.stop()
    }

    /// `LINK EMAIL` answers `conflict` for an address another account holds, which tells
    /// whether the address is registered: ten such answers an hour per player and thirty per
    /// client address, then `rate_limited` for any address (were free ones still linked, the
    /// refusal itself would say "taken"). An account that has an email learns nothing, and
    /// another client address is not held back.
    @Test func probingWhichEmailsAreRegisteredIsLimited() async throws {
        let server = try await TestServer.start()
        let (owner, _) = try await server.player("registered-owner")
        let taken = "registered-\(UUID().uuidString.prefix(8))@example.com"
        try await owner.ok("LINK EMAIL \(taken) correct-horse-battery")
        try await owner.err("LINK EMAIL someone-\(UUID().uuidString.prefix(8))@example.com whatever-pass", "conflict")
        var probers: [TestClient] = []
        for n in 0..<3 {
            let (c, _) = try await server.player("prober\(n)")
            for _ in 0..<10 { try await c.err("LINK EMAIL \(taken) whatever-pass", "conflict") }
            probers.append(c)
        }
        try await probers[0].err("LINK EMAIL \(taken) whatever-pass", "rate_limited")  // the player's ten
        let (fourth, _) = try await server.player("prober3")
        try await fourth.err("LINK EMAIL \(taken) whatever-pass", "rate_limited")  // the address's thirty
        try await fourth.err("LINK EMAIL free-\(UUID().uuidString.prefix(8))@example.com whatever-pass", "rate_limited")
        let elsewhere = try await TestClient.connect(port: server.port, source: "127.0.0.2")
        _ = try await elsewhere.authDevice("prober-elsewhere-\(UUID().uuidString)")
        try await elsewhere.err("LINK EMAIL \(taken) whatever-pass", "conflict")
        let free = "free-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        #expect(try await elsewhere.ok("LINK EMAIL \(free) whatever-pass")["email"]?.stringValue == free)
        try await server.stop()
    }

    @Test func failedLoginsAreRateLimitedPerConnectionAndPerAccount() async throws {
        let server = try await TestServer.start { app in
            app.engine.authFailuresPerConnection = 3
            app.engine.authFailuresPerAccount = 5
        }
        let (a, _) = try await server.player("victim")
        let email = "victim-\(UUID().uuidString.prefix(8))@example.com"
        try await a.ok("LINK EMAIL \(email) the-real-password")

        let c = try await server.client()
        for _ in 0..<3 { try await c.err("AUTH EMAIL \(email) guess-guess", "unauthenticated") }
        try await c.err("AUTH EMAIL \(email) the-real-password", "rate_limited")  // this connection is done
        try await c.err("AUTH DEVICE some-device-0001", "rate_limited")

        let d = try await server.client()
        try await d.err("AUTH EMAIL \(email) guess-guess", "unauthenticated")
        try await d.err("AUTH EMAIL \(email) guess-guess", "unauthenticated")
        // Five failures on the account: even the right password waits now.
        let e = try await server.client()
        try await e.err("AUTH EMAIL \(email) the-real-password", "rate_limited")
        try await server.stop()
    }

    @Test func sessionResumeAndLogoutEverywhere() async throws {
        let server = try await TestServer.start()
        let (a, me) = try await server.player("resume")
        let b = try await server.client()
        let resumed = try await b.ok("AUTH SESSION \(me.session)")
        #expect(resumed["player"]?.stringValue == me.player)
        let c = try await server.client()
        try await c.ok("AUTH SESSION \(me.session) 0")
        // Another session of the same player is not touched by LOGOUT.
        let other = try await server.client()
        _ = try await other.authDevice(me.deviceID)

        try await a.ok("LOGOUT")
        #expect(await b.isClosed(), "LOGOUT closes the session's other connections")
        #expect(await c.isClosed())
        try await a.err("PROFILE", "unauthenticated")
        #expect(try await other.call("PING") == "OK")
        try await other.ok("PROFILE")
        let d = try await server.client()
        try await d.err("AUTH SESSION \(me.session)", "unauthenticated")
        try await d.err("AUTH SESSION not-a-real-token", "unauthenticated")
        try await server.stop()
    }

    /// A script logging in over and over (or a client that never keeps its token) cannot
    /// grow the sessions table: past the cap, a login ends the player's oldest session.
    @Test func aPlayerKeepsAtMostAHundredSessions() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let cap = AccountStore.maximumSessionsPerPlayer
        var tokens: [String] = []
        var player = ""
        for _ in 0..<(cap + 5) {
            let c = try await server.client()
            let reply = try await c.ok("AUTH DEVICE session-cap-device-01")
            tokens.append(try #require(reply["session"]?.stringValue))
            player = try #require(reply["player"]?.stringValue)
            await c.close()
        }
        #expect(try await query(database, "SELECT count(*)::text FROM sessions WHERE player_id = '\(player)'") == ["\(cap)"])
        for old in tokens.prefix(5) { try await server.client().err("AUTH SESSION \(old)", "unauthenticated") }
        try await server.client().ok("AUTH SESSION \(tokens[5])")
        try await server.client().ok("AUTH SESSION \(tokens[cap + 4])")
        try await server.stop()
    }

    /// `LOGOUT ALL` ends every session token of the player, on every device (a token that
    /// leaked): their connections close, the tokens are refused, and a device id logs in
    /// afresh; another player's session is not touched.
    @Test func logoutAllEndsEverySessionOfThePlayer() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let (phone, me) = try await server.player("logout-all")
        let tablet = try await server.client()
        let second = try await tablet.authDevice(me.deviceID)
        let (stranger, them) = try await server.player("logout-all-other")
        let ended = try await phone.ok("LOGOUT ALL")
        #expect(ended["sessions"]?.intValue == 2)
        #expect(await tablet.isClosed(), "the other device is let go")
        try await phone.err("PROFILE", "unauthenticated")
        for token in [me.session, second.session] { try await server.client().err("AUTH SESSION \(token)", "unauthenticated") }
        #expect(try await query(database, "SELECT count(*)::text FROM sessions WHERE player_id = '\(me.player)'") == ["0"])
        try await stranger.ok("PROFILE")
        try await server.client().ok("AUTH SESSION \(them.session)")
        _ = try await phone.authDevice(me.deviceID)
        try await phone.ok("PROFILE")
        try await server.stop()
    }

    /// Past the cap, the session unused longest ends, not the oldest made: a tablet that
    /// resumes its session keeps it however often the phone logs in afresh.
    @Test func theSessionUnusedLongestEndsFirst() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await TestServer.start(database: database)
        let cap = AccountStore.maximumSessionsPerPlayer
        func login() async throws -> (token: String, player: String) {
            let c = try await server.client()
            let reply = try await c.ok("AUTH DEVICE session-lru-device-01")
            await c.close()
            return (try #require(reply["session"]?.stringValue), try #require(reply["player"]?.stringValue))
        }
        let (tablet, player) = try await login()
        var phone: [String] = []
        for _ in 0..<3 { phone.append(try await login().token) }
        // The tablet resumes; the use reaches PostgreSQL with the next lazy flush.
        try await server.client().ok("AUTH SESSION \(tablet)")
        let usedAgain = "SELECT count(*)::text FROM sessions WHERE player_id = '\(player)' AND last_used > created_at"
        for _ in 0..<50 where try await query(database, usedAgain) != ["1"] { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await query(database, usedAgain) == ["1"])
        for _ in 0..<(cap - 2) { _ = try await login() }
        #expect(try await query(database, "SELECT count(*)::text FROM sessions WHERE player_id = '\(player)'") == ["\(cap)"])
        try await server.client().ok("AUTH SESSION \(tablet)")
        for old in phone.prefix(2) { try await server.client().err("AUTH SESSION \(old)", "unauthenticated") }
        try await server.client().ok("AUTH SESSION \(phone[2])")
        try await server.stop()
    }

    @Test func sessionsAndEmailLoginsSurviveARestart() async throws {
        var server = try await TestServer.start()
        let (a, me) = try await server.player("restart")
        let email = "restart-\(UUID().uuidString.prefix(8))@example.com"
        try await a.ok("LINK EMAIL \(email) survive-the-restart")
        try await a.ok("NAME Persistent Pat")
        try await server.stop()

        server = try await TestServer.start()
        let b = try await server.client()
        let resumed = try await b.ok("AUTH SESSION \(me.session)")
        #expect(resumed["player"]?.stringValue == me.player)
        #expect(resumed["name"]?.stringValue == "Persistent Pat")
        let c = try await server.client()
        let login = try await c.ok("AUTH EMAIL \(email) survive-the-restart")
        #expect(login["player"]?.stringValue == me.player)
        try await server.stop()
    }
}
