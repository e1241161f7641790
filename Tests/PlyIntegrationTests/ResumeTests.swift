import Foundation
import PlyEngine
import PlyJSON
import PlyServer
import PlyStore
import PostgresNIO
import Logging
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)), .serialized)
struct ResumeTests {
    @Test func aDroppedConnectionResumesWithExactlyTheMissedEvents() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await server.play(t, ["f5"])
        // The second player's last event so far.
        let lastSeen = try await t.first.ok("MOVE \(t.match) 1 f5")  // a duplicate: no event
        #expect(lastSeen["duplicate"]?.boolValue == true)
        try await t.first.ok("SAY \(t.match) before the drop")
        let chat = try await t.second.event("chat")
        let lastSeq = try #require(chat["seq"]?.intValue)
        await t.second.close()

        // Play on while the second player is away: the first player moves for... the second
        // player cannot move, so the first chats and offers a draw; both are events for them.
        try await t.first.ok("SAY \(t.match) one")
        try await t.first.ok("SAY \(t.match) two")
        try await t.first.ok("DRAW \(t.match) offer")

        let back = try await server.client()
        try await back.send("AUTH SESSION \(t.secondSession) \(lastSeq)")
        var replayed: [JSONObject] = []
        var reply = ""
        while reply.isEmpty {
            let line = try await back.nextLine()
            if line.hasPrefix("EVENT ") {
                let type = String(line.split(separator: " ")[1])
                var body = try JSONValue.parseObject(String(line.dropFirst("EVENT \(type) ".count)))
                body["type"] = .string(type)
                replayed.append(body)
            } else {
                reply = line
            }
        }
        let ok = try JSONValue(parsing: String(reply.dropFirst(3)))
        #expect(ok["replayed"]?.intValue == replayed.count)
        #expect(replayed.map { $0["type"]?.stringValue } == ["chat", "chat", "draw"])
        #expect(replayed.compactMap { $0["seq"]?.intValue } == [lastSeq + 1, lastSeq + 2, lastSeq + 3], "in order, none twice")
        // And new events continue the sequence.
        try await t.first.ok("SAY \(t.match) after")
        let next = try await back.event("chat")
        #expect(next["seq"]?.intValue == lastSeq + 4)
        // Resuming at the current number replays nothing.
        let again = try await server.client()
        let none = try await again.ok("AUTH SESSION \(t.secondSession) \(lastSeq + 4)")
        #expect(none["replayed"]?.intValue == 0)
        #expect(none["resync"] == nil)
        try await server.stop()
    }

    /// Events kept for resumes are bounded in bytes as well as in number: small events are
    /// replayed, but a flood of large ones (a profile blob each time) keeps only the newest
    /// 256 KiB, and a resume from before them is a resync. So one cheap account cannot make
    /// the server hold megabytes of its own events.
    @Test func eventsKeptForResumesAreBoundedInBytes() async throws {
        let server = try await TestServer.start()
        let (flooder, p) = try await server.player("large-events")
        let start = try #require(try await server.client().ok("AUTH SESSION \(p.session)")["seq"]?.intValue)
        for n in 0..<20 { try await flooder.ok(#"PROFILE SET {"n":\#(n)}"#) }
        let small = try await server.client().ok("AUTH SESSION \(p.session) \(start)")
        #expect(small["replayed"]?.intValue == 20, "small events are all kept: \(small)")
        let blob = String(repeating: "x", count: 7000)
        for n in 0..<40 { try await flooder.ok(#"PROFILE SET {"n":\#(n),"blob":"\#(blob)"}"#) }
        let flooded = try await server.client().ok("AUTH SESSION \(p.session) \(start)")
        #expect(flooded["resync"]?.boolValue == true, "the oldest went past 256 KiB: \(flooded)")
        let now = try #require(flooded["seq"]?.intValue)
        let recent = try await server.client().ok("AUTH SESSION \(p.session) \(now - 5)")
        #expect(recent["replayed"]?.intValue == 5, "the newest are still kept: \(recent)")
        try await server.stop()
    }

    @Test func aSeqAheadOfTheServerAsksForResync() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await t.first.ok("SAY \(t.match) first")
        let first = try await t.second.event("chat")
        let firstSeq = try #require(first["seq"]?.intValue)
        await t.second.close()
        // A number the server never handed out (a client's corrupt or foreign state) cannot
        // be replayed from: the client is told to resync.
        let ahead = try await server.client()
        let r = try await ahead.ok("AUTH SESSION \(t.secondSession) \(firstSeq + 1000)")
        #expect(r["resync"]?.boolValue == true)
        #expect(r["seq"]?.intValue == firstSeq)
        try await server.stop()
    }

    @Test func afterARestartTheSequenceContinuesAndOldGapsResync() async throws {
        var server = try await TestServer.start()
        let t = try await server.table("reversi")
        try await t.first.ok("SAY \(t.match) hello")
        let e = try await t.second.event("chat")
        let seq = try #require(e["seq"]?.intValue)
        try await server.stop()  // flushes the sequence number lazily written
        server = try await TestServer.start()
        let b = try await server.client()
        let r = try await b.ok("AUTH SESSION \(t.secondSession) \(seq - 1)")
        #expect(r["resync"]?.boolValue == true, "events from before the restart are not held")
        let a = try await server.client()
        try await a.ok("AUTH SESSION \(t.firstSession)")
        try await a.ok("SAY \(t.match) again")
        let next = try await b.event("chat")
        #expect(try #require(next["seq"]?.intValue) > seq, "numbers never go back")
        try await server.stop()
    }

    @Test func notificationsForAwayPlayersOnlyCoalescedAndSeen() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        await t.second.close()
        try await t.first.waitOffline(t.secondID)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        // The first player is online: no notification for them when it is their turn again.
        let (c, carl) = try await server.player("carl")
        try await c.ok("CHALLENGE \(t.secondID) hive")
        try await c.ok("CHALLENGE \(t.secondID) khet")
        _ = carl

        let back = try await server.client()
        try await back.ok("AUTH SESSION \(t.secondSession)")
        let notes = try #require(try await back.ok("NOTIFICATIONS").arrayValue)
        let kinds = notes.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.filter { $0 == "your_turn" }.count == 1)
        #expect(kinds.filter { $0 == "challenge" }.count == 2)
        #expect(notes.allSatisfy { $0["id"]?.stringValue != nil && $0["at"]?.stringValue != nil })
        let first = try #require(notes.first?["id"]?.stringValue)
        try await back.ok("SEEN \(first)")
        try await back.err("SEEN \(first)", "not_found")
        #expect(try await back.ok("NOTIFICATIONS").arrayValue?.count == notes.count - 1)
        // An online player gets no stored notification for a challenge.
        try await c.ok("CHALLENGE \(t.firstID) reversi")
        _ = try await t.first.event("challenge")
        #expect(try await t.first.ok("NOTIFICATIONS").arrayValue?.isEmpty == true)
        try await server.stop()
    }

    @Test func yourTurnIsCoalescedPerMatch() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        await t.second.close()
        try await t.first.waitOffline(t.secondID)
        try await t.first.ok("MOVE \(t.match) 1 f5")  // your_turn for ply 2, unread
        // The away player comes back, plays without reading (no SEEN), and leaves again.
        let visit = try await server.client()
        try await visit.ok("AUTH SESSION \(t.secondSession)")
        try await visit.ok("MOVE \(t.match) 2 d6")
        _ = try await t.first.event("move")
        await visit.close()
        try await t.first.waitOffline(t.secondID)
        // Their turn again while the first notice is still unread: a second your_turn for
        // the same match (it would have its own id, for ply 4) must not pile up.
        try await t.first.ok("MOVE \(t.match) 3 c3")
        let back = try await server.client()
        try await back.ok("AUTH SESSION \(t.secondSession)")
        let notes = try #require(try await back.ok("NOTIFICATIONS").arrayValue)
        let turns = notes.filter { $0["kind"]?.stringValue == "your_turn" && $0["match"]?.stringValue == t.match }
        #expect(turns.count == 1, "\(turns)")
        try await server.stop()
    }

    @Test func outboxRowsForOptedInPlayersOnly() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let email = "alerts-\(UUID().uuidString.prefix(8))@example.com"
        try await t.second.ok("LINK EMAIL \(email) alerts-password")
        try await t.second.ok(#"PROFILE SET {"email_turn_alerts":true}"#)
        // The first player also has an email but did not opt in.
        try await t.first.ok("LINK EMAIL other-\(email) alerts-password")
        await t.second.close()
        await t.first.close()
        let (watch, _) = try await server.player("presence")
        try await watch.waitOffline(t.secondID)
        try await watch.waitOffline(t.firstID)
        let a = try await server.client()
        try await a.ok("AUTH SESSION \(t.firstSession)")
        try await a.ok("MOVE \(t.match) 1 f5")
        await a.close()
        try await watch.waitOffline(t.firstID)
        let b = try await server.client()
        try await b.ok("AUTH SESSION \(t.secondSession)")
        try await b.ok("MOVE \(t.match) 2 d6")
        try await server.stop()  // flushes the lazy notification rows

        let rows = try await outboxRows(match: t.match)
        #expect(rows.map(\.email) == [email.lowercased()], "one alert, to the opted-in player only: \(rows)")
        #expect(rows.first?.kind == "your_turn")
    }

    func outboxRows(match: String) async throws -> [(email: String, kind: String)] {
        let logger = Logger(label: "ply.test.outbox")
        let client = PostgresClient(configuration: try TestDatabase.url().clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            var out: [(String, String)] = []
            let rows = try await client.query("SELECT email, kind FROM outbox WHERE match_id = \(match) ORDER BY id")
            for try await (e, k) in rows.decode((String, String).self) { out.append((e, k)) }
            group.cancelAll()
            return out.map { (email: $0.0, kind: $0.1) }
        }
    }
}

/// The example mailer drains the outbox and marks rows sent.
@Suite(
    .enabled(if: TestDatabase.isConfigured, "needs PLY_TEST_DATABASE_URL (Scripts/test)"), .timeLimit(.minutes(3)),
    .enabled(if: MailerExample.isRunnable, "needs psycopg2 in PLY_PYTHON or python3 (Scripts/test puts it in .ply/venv)"))
struct MailerExampleTests {
    @Test func theExampleMailerSendsEachAlertOnce() async throws {
        let server = try await TestServer.start()
        let t = try await server.table("reversi")
        let email = "mailer-\(UUID().uuidString.prefix(8))@example.com"
        try await t.secondAwayWithEmail(email, profile: #"{"email_turn_alerts":true}"#)
        try await t.first.ok("MOVE \(t.match) 1 f5")
        try await server.stop()
        let first = try await MailerExample.runOnce()
        #expect(first.contains("mail to \(email.lowercased())"), "output: \(first)")
        let second = try await MailerExample.runOnce()
        #expect(!second.contains(email.lowercased()), "never twice: \(second)")
    }
}

enum MailerExample {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/mailer-example").path
    }

    /// The interpreter Scripts/test prepared in .ply/venv (PLY_PYTHON), else python3 from PATH.
    static var python: String {
        ProcessInfo.processInfo.environment["PLY_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    }

    static var isRunnable: Bool { system("'\(python)' -c 'import psycopg2' >/dev/null 2>&1") == 0 }

    static func runOnce(url: String? = nil) async throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("mailer-\(UUID().uuidString).txt").path
        let url = try url ?? #require(TestDatabase.urlText)
        let command = "PLY_DATABASE_URL='\(url)' '\(python)' '\(script)' --once > '\(out)' 2>&1"
        let status: Int32 = await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: system(command)) }
        }
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: out)
        #expect(status == 0, "mailer exited with \(status): \(text)")
        return text
    }
}
