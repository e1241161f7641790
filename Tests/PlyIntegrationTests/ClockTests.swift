import Foundation
import Logging
import PlyEngine
import PlyJSON
import PlyServer
@testable import PlyStore
import PostgresNIO
import Testing

/// Correspondence clocks, vacations, reminders and digests (issue 21, part A) through TCP
/// against a real server and PostgreSQL, with clocks of seconds. Each test has a database
/// of its own: the pollers end and remind every match they find.
@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)))
struct ClockTests {
    static func start(_ database: DatabaseURL, vacationDays: Int = 30) async throws -> TestServer {
        try await TestServer.start(database: database) {
            $0.engine.deadlinePollSeconds = 0.2
            $0.engine.digestSweepSeconds = 0.2
            $0.engine.vacationDaysPerYear = vacationDays
        }
    }

    static func date(_ v: JSONValue?) throws -> Date {
        let text = try #require(v?.stringValue)
        return try #require(try? Date(text, strategy: .iso8601))
    }

    static func clock(_ c: TestClient, _ match: String, _ player: String) async throws -> Int {
        try #require(try await c.ok("MATCH \(match)")["clocks"]?[player]?.intValue)
    }

    /// Banks take the increment up to `max`; a bank running out is a timeout.
    @Test func aBankRunsOutAndIncrementsAreCappedAtMax() async throws {
        let server = try await Self.start(try await TestDatabase.fresh())
        let t = try await server.table("reversi", settings: #"{"side":"first","clock":{"initial":3,"increment":2,"max":4}}"#)
        let first = try await t.first.ok("MOVE \(t.match) 1 f5")
        #expect(first["clocks"]?[t.firstID]?.intValue == 4, "2 or 3 left + 2, capped at 4: \(first)")
        #expect(first["clocks"]?[t.secondID]?.intValue == 3)
        let seen = try await t.second.event("move")
        #expect(seen["clocks"] == first["clocks"])
        let second = try await t.second.ok("MOVE \(t.match) 2 d6")
        #expect(second["clocks"]?[t.secondID]?.intValue == 4)
        // Ann's 4 seconds run out.
        let end = try await t.first.event("end", timeout: .seconds(10))
        #expect(end["result"]?["reason"]?.stringValue == "timeout")
        #expect(end["result"]?["winner"]?.stringValue == t.secondID)
        try await server.stop()
    }

    /// A clock is a stored deadline and banks: the time the server was down counts.
    @Test func aClockSurvivesARestart() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.start(database)
        // A bank of 10 s: the opening plies may take a few seconds on a loaded host.
        let t = try await server.table("reversi", settings: #"{"side":"first","clock":{"initial":10,"increment":0,"max":10}}"#)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        try await t.second.ok("MOVE \(t.match) 2 d6")
        try await t.first.ok("MOVE \(t.match) 3 c3")
        let before = try await Self.clock(t.first, t.match, t.secondID)
        #expect(before >= 6)
        try await server.stop()
        try await Task.sleep(for: .seconds(3))
        let again = try await Self.start(database)
        let c = try await again.client()
        try await c.ok("AUTH SESSION \(t.firstSession)")
        let after = try await Self.clock(c, t.match, t.secondID)
        #expect(after <= before - 3 && after >= 0, "the time down counted: \(before) then \(after)")
        let end = try await c.event("end", timeout: .seconds(15))
        #expect(end["result"]?["reason"]?.stringValue == "timeout")
        #expect(end["result"]?["winner"]?.stringValue == t.firstID)
        try await again.stop()
    }

    /// A vacation moves a bank's and a fixed turn's deadlines by its length, and ending it
    /// early takes back exactly what was not used; the opponent is told once.
    @Test func vacationPausesAndResumesToTheSecond() async throws {
        let server = try await Self.start(try await TestDatabase.fresh())
        let t = try await server.table("reversi", settings: #"{"side":"first","clock":{"initial":600,"increment":10,"max":900}}"#)
        let fixedMatch = try #require(
            try await t.first.ok(#"CHALLENGE \#(t.secondID) reversi {"side":"first","turn_seconds":900}"#)["match"]?.stringValue)
        _ = try await t.second.event("challenge")
        try await t.second.ok("ACCEPT \(fixedMatch)")
        _ = try await t.first.event("start")
        let bankDeadline = try Self.date(try await t.first.ok("MATCH \(t.match)")["deadline"])
        let fixedDeadline = try Self.date(try await t.first.ok("MATCH \(fixedMatch)")["deadline"])

        let v = try await t.first.ok("VACATION 3")
        let until = try Self.date(v["until"])
        let started = until - 3 * 86400
        let told = try await t.second.event("vacation")
        #expect(told["player"]?.stringValue == t.firstID)
        #expect(try Self.date(told["until"]) == until)
        #expect(!(await t.second.hasEvent("vacation", within: .milliseconds(300))), "one event per opponent")
        #expect(try await t.second.ok("PROFILE \(t.firstID)")["vacation_until"] == v["until"])
        #expect(try Self.date(try await t.first.ok("MATCH \(t.match)")["deadline"]) == bankDeadline + 3 * 86400)
        #expect(try Self.date(try await t.first.ok("MATCH \(fixedMatch)")["deadline"]) == fixedDeadline + 3 * 86400)

        try await Task.sleep(for: .seconds(2))
        let off = try await t.first.ok("VACATION off")
        let ended = try Self.date(off["until"])
        let paused = ended.timeIntervalSince(started)
        #expect(paused >= 1 && paused <= 4)
        #expect(try Self.date(try await t.first.ok("MATCH \(t.match)")["deadline"]) == bankDeadline + paused)
        #expect(try Self.date(try await t.first.ok("MATCH \(fixedMatch)")["deadline"]) == fixedDeadline + paused)
        _ = try await t.second.event("vacation")
        #expect(try await t.first.ok("PROFILE")["vacation_until"] == .null)
        // The bank runs to the moved deadline (so it lost only the seconds outside the
        // vacation, which the deadline checks above pin to the second).
        let now = try await t.first.ok("MATCH \(t.match)")
        let left = try #require(now["clocks"]?.objectValue?[t.firstID]?.intValue)
        let toDeadline = try Self.date(now["deadline"]).timeIntervalSinceNow
        #expect(abs(toDeadline - Double(left)) <= 1.5, "bank \(left), deadline in \(toDeadline) s")
        #expect(left > 600 - 30 && left <= 600, "\(left)")
        try await server.stop()
    }

    /// The stalling attack: one account taking vacation after vacation to hold an opponent's
    /// matches forever. Each vacation costs at least a day of a yearly allowance (stored, so
    /// a restart does not renew it); past it the request is refused and the clock runs.
    @Test func theAllowanceStopsEndlessVacations() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.start(database, vacationDays: 2)
        let (staller, s) = try await server.player("staller")
        try await staller.err("VACATION 3", "bad_request")
        try await staller.err("VACATION 0", "bad_request")
        try await staller.err("VACATION off", "conflict")
        try await staller.ok("VACATION 1")
        try await staller.err("VACATION 1", "conflict")
        #expect(try await staller.ok("VACATION off")["days_left"]?.intValue == 1)
        try await server.stop()
        let again = try await Self.start(database, vacationDays: 2)
        let c = try await again.client()
        try await c.ok("AUTH SESSION \(s.session)")
        #expect(try await c.ok("VACATION 1")["days_left"]?.intValue == 0)
        try await c.ok("VACATION off")
        try await c.err("VACATION 1", "forbidden")
        try await again.stop()
    }

    /// `deadline_soon` comes once per turn, a quarter of the turn before the deadline.
    @Test func oneDeadlineSoonPerTurn() async throws {
        let database = try await TestDatabase.fresh()
        let server = try await Self.start(database)
        // The turn starts at the accept, somewhere between these two instants.
        let beforeTable = ContinuousClock.now
        // 20 s turns: the reminder leaves 5 s for the checks and the move, which a machine
        // busy with the whole suite needs (with 12 s, a turn once ran out first).
        let t = try await server.table("reversi", settings: #"{"side":"first","turn_seconds":20}"#)
        let afterTable = ContinuousClock.now
        let note = try await t.first.event("notification", timeout: .seconds(20))
        // Due 15 s into the 20 s turn, less the second its stamps round down, plus the poll.
        let arrived = ContinuousClock.now
        #expect(arrived - beforeTable >= .seconds(13.5), "came \(arrived - beforeTable) after the table was started")
        #expect(arrived - afterTable < .seconds(20), "came \(arrived - afterTable) after the table was made")
        #expect(note["kind"]?.stringValue == "deadline_soon")
        #expect(note["match"]?.stringValue == t.match)
        #expect(!(await t.first.hasEvent("notification", within: .milliseconds(800))), "once per turn")
        try await t.first.ok("MOVE \(t.match) 1 f5")
        let boNote = try await t.second.event("notification", timeout: .seconds(20))
        #expect(boNote["kind"]?.stringValue == "deadline_soon")
        #expect(!(await t.second.hasEvent("notification", within: .milliseconds(800))))
        try await t.second.ok("MOVE \(t.match) 2 d6")
        try await server.stop()
        let rows = try await query(database, "SELECT id FROM notifications WHERE kind = 'deadline_soon' ORDER BY id")
        #expect(rows == ["s-\(t.match)-1", "s-\(t.match)-2"])
    }

    /// With `email_digest_hours`, one outbox row per window lists every match waiting for
    /// the player; a notification inside a window goes out once it passes.
    @Test func aDigestRowPerWindowListsTheWaitingMatches() async throws {
        _ = try await Self.digestScenario()
    }

    /// The example mailer renders a digest row as one email listing the waiting matches.
    @Test(.enabled(if: MailerExample.isRunnable, "needs psycopg2 in PLY_PYTHON or python3 (Scripts/test puts it in .ply/venv)"))
    func theExampleMailerSendsADigestAsOneEmail() async throws {
        let (database, email, matches) = try await Self.digestScenario()
        let mail = try await MailerExample.runOnce(url: Self.urlText(of: database))
        #expect(mail.contains("To: \(email.lowercased())"), "\(mail)")
        #expect(matches.allSatisfy { mail.contains($0) }, "\(mail)")
        #expect(mail.contains("2 matches are waiting for you"), "\(mail)")
    }

    /// Two matches waiting for an away player with a one-hour digest: two digest rows, the
    /// second after its window passed. Returns the database, the player's email and the matches.
    static func digestScenario() async throws -> (DatabaseURL, String, [String]) {
        let database = try await TestDatabase.fresh()
        let server = try await Self.start(database)
        let t = try await server.table("reversi")
        let other = try #require(
            try await t.first.ok(#"CHALLENGE \#(t.secondID) reversi {"side":"first"}"#)["match"]?.stringValue)
        _ = try await t.second.event("challenge")
        try await t.second.ok("ACCEPT \(other)")
        let email = "digest-\(UUID().uuidString.prefix(8))@example.com"
        try await t.secondAwayWithEmail(email, profile: #"{"email_digest_hours":1}"#)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        try await waitFor(database, "SELECT id::text FROM outbox WHERE kind = 'digest'", count: 1)
        try await t.first.ok("MOVE \(other) 1 f5")
        try await waitFor(database, "SELECT id FROM notifications WHERE match_id = '\(other)'", count: 1)
        #expect(try await Self.sweepDigests(database) == 0, "the window has not passed")
        #expect(try await query(database, "SELECT id::text FROM outbox WHERE kind = 'digest'").count == 1, "one per window")
        // The window passes (as if an hour went by): the notification it held back goes out
        // in a digest without waiting for another one.
        _ = try await query(database, "UPDATE outbox SET created_at = created_at - interval '61 minutes' RETURNING id::text")
        try await waitFor(database, "SELECT id::text FROM outbox WHERE kind = 'digest'", count: 2)
        #expect(try await Self.sweepDigests(database) == 0, "nothing new to send")
        #expect(try await query(database, "SELECT id::text FROM outbox WHERE kind = 'digest'").count == 2)
        let lists = try await query(
            database,
            "SELECT (SELECT string_agg(x->>'match', ',' ORDER BY x->>'match') FROM json_array_elements(matches) x) FROM outbox WHERE kind = 'digest' ORDER BY id")
        #expect(lists == [t.match, [t.match, other].sorted().joined(separator: ",")])
        try await server.stop()
        return (database, email, [t.match, other])
    }

    /// Runs the server's digest sweep once more, on a client of its own: the rows it made.
    static func sweepDigests(_ database: DatabaseURL) async throws -> Int {
        try await withClient(database) { try await MatchStore(client: $0, logger: $1).sendDueDigests() }
    }

    static func urlText(of database: DatabaseURL) throws -> String {
        let base = try #require(TestDatabase.urlText)
        guard let slash = base.range(of: "/", options: .backwards) else { return base }
        let tail = base[slash.upperBound...]
        let query = tail.firstIndex(of: "?").map { String(tail[$0...]) } ?? ""
        return String(base[..<slash.upperBound]) + database.database + query
    }
}
