import Foundation
import PlyJSON
import PlyProtocol
import Testing

@testable import PlyEngine
@testable import PlyStore

/// Correspondence clocks, vacations and reminders, driven through sessions on
/// `MemoryStorage` with the injected clock: every figure exact to the second.
@Suite(.timeLimit(.minutes(1))) struct EngineClockTests {
    typealias Table = EngineInProcessTests.Table
    static let clocked = #"{"side":"first","clock":{"initial":100,"increment":30,"max":120}}"#

    func clocks(_ t: Table) async throws -> [String: Int] {
        let m = try await t.ann.ok("MATCH \(t.match)")
        let o = try #require(m?["clocks"]?.objectValue)
        return Dictionary(uniqueKeysWithValues: o.map { ($0.key, $0.value.intValue ?? -1) })
    }

    /// Banks run only on their owner's turn, take the increment up to `max`, and the bank
    /// running out is a timeout.
    @Test func banksRunOutCappedByMax() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: Self.clocked)
            let start = e.clock.now
            #expect(try await t.stored().deadline == start + 100)
            e.clock.advance(by: 10)
            let first = try await t.ann.ok("MOVE \(t.match) 1 f5")
            // 90 left + 30 = 120, the cap.
            #expect(first?["clocks"] == .object([t.annID: 120, t.boID: 100]))
            let seen = try await t.bo.event("move", match: t.match)
            #expect(seen.body["clocks"] == .object([t.annID: 120, t.boID: 100]))
            e.clock.advance(by: 50)
            #expect(try await clocks(t) == [t.annID: 120, t.boID: 50])
            let second = try await t.bo.ok("MOVE \(t.match) 2 d6")
            #expect(second?["clocks"] == .object([t.annID: 120, t.boID: 80]))
            // Ann's 120 s run out.
            e.clock.advance(by: 119)
            try await e.engine.matches.expireOverdue()
            #expect(try await t.stored().status == .active)
            #expect(try await clocks(t)[t.annID] == 1)
            e.clock.advance(by: 2)
            try await e.engine.matches.expireOverdue()
            let end = try await t.bo.event("end", match: t.match)
            #expect(end.body["result"] == .object(["winner": .string(t.boID), "reason": "timeout"]))
        }
    }

    /// A takeback does not wind a clock back: the turn that was running keeps what it
    /// spent, and the offerer's turn lasts what their bank holds.
    @Test func aTakebackKeepsTheClocks() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: Self.clocked)
            e.clock.advance(by: 10)
            try await t.play(["f5"])  // Ann: 90 left + 30 = 120
            e.clock.advance(by: 20)
            try await t.ann.ok("TAKEBACK \(t.match) offer")
            e.clock.advance(by: 5)
            let undone = try await t.bo.ok("TAKEBACK \(t.match) accept")
            // Bo's running turn spent 25 s of his 100 (no increment: he did not move).
            #expect(undone?["clocks"] == .object([t.annID: 120, t.boID: 75]))
            #expect(undone?["to_move"]?.stringValue == t.annID)
            #expect(try await t.stored().deadline == e.clock.now + 120)
            #expect(try await clocks(t) == [t.annID: 120, t.boID: 75])
        }
    }

    /// A clocked match let go from memory comes back with its banks and deadline.
    @Test func aClockSurvivesEviction() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: Self.clocked)
            e.clock.advance(by: 40)
            try await t.play(["f5"])
            e.clock.advance(by: 7)
            #expect(await e.engine.matches.evictIdle(before: e.clock.now + 1) >= 1)
            #expect(try await clocks(t) == [t.annID: 90, t.boID: 93])
            #expect(try await t.stored().clockBanks == [90, 100])
        }
    }

    /// A vacation pauses the bank of the player to move and gives it back to the second
    /// when it ends early; the opponent is told, and the profile shows it.
    @Test func vacationPausesAndResumesABankExactly() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: Self.clocked)
            let start = e.clock.now
            e.clock.advance(by: 20)
            let v = try await t.ann.ok("VACATION 2")
            let until = start + 20 + 2 * 86400
            #expect(v?["until"]?.stringValue == Timestamp.rfc3339(until))
            #expect(v?["days_left"]?.intValue == 28)
            let told = try await t.bo.event("vacation")
            #expect(told.body["player"]?.stringValue == t.annID)
            #expect(told.body["until"]?.stringValue == Timestamp.rfc3339(until))
            #expect(try await t.stored().deadline == start + 100 + 2 * 86400)
            #expect(try await t.bo.ok("PROFILE \(t.annID)")?["vacation_until"]?.stringValue == Timestamp.rfc3339(until))
            e.clock.advance(by: 3600)
            #expect(try await clocks(t)[t.annID] == 80, "the bank does not run during the vacation")
            try await e.engine.matches.expireOverdue()
            #expect(try await t.stored().status == .active)
            try await t.ann.ok("VACATION off")
            _ = try await t.bo.event("vacation")
            #expect(try await t.stored().deadline == e.clock.now + 80)
            #expect(try await clocks(t)[t.annID] == 80)
            #expect(try await t.ann.ok("PROFILE")?["vacation_until"] == .null)
            e.clock.advance(by: 10)
            #expect(try await clocks(t)[t.annID] == 70, "and runs again after it")
        }
    }

    /// A fixed deadline moves by the vacation, and a turn that reaches a player on vacation
    /// begins when the vacation ends.
    @Test func vacationPausesAFixedDeadline() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: #"{"side":"first","turn_seconds":600}"#)
            let start = e.clock.now
            try await t.bo.ok("VACATION 1")
            let until = start + 86400
            // Not Bo's turn: Ann's deadline stays.
            #expect(try await t.stored().deadline == start + 600)
            e.clock.advance(by: 30)
            try await t.play(["f5"])
            #expect(try await t.stored().deadline == until + 600, "Bo's turn begins when the vacation ends")
            e.clock.advance(by: 100)
            try await t.bo.ok("VACATION off")
            #expect(try await t.stored().deadline == e.clock.now + 600)
        }
    }

    /// Vacation cannot stall an opponent forever: each one costs at least a day of a
    /// yearly allowance, and past it `VACATION` is refused.
    @Test func theAllowanceStopsEndlessVacations() async throws {
        try await InProcessEngine.with({ $0.vacationDaysPerYear = 3 }) { e in
            let t = try await Table.seated(e, settings: #"{"side":"first","turn_seconds":600}"#)
            #expect(try await t.ann.error("VACATION 4") == "bad_request")
            for _ in 0..<3 {
                try await t.ann.ok("VACATION 1")
                e.clock.advance(by: 60)
                try await t.ann.ok("VACATION off")
            }
            #expect(try await t.ann.error("VACATION 1") == "forbidden")
            #expect(try await t.ann.error("VACATION off") == "conflict")
            // Three minutes of vacation were taken: the deadline moved by exactly that.
            #expect(try await t.stored().deadline == e.clock.now - 180 + 600 + 180)
        }
    }

    /// `deadline_soon` comes once per turn, when a quarter of the turn is left.
    @Test func oneReminderPerTurn() async throws {
        try await InProcessEngine.with { e in
            let t = try await Table.seated(e, settings: #"{"side":"first","turn_seconds":100}"#)
            e.clock.advance(by: 74)
            try await e.engine.matches.expireOverdue()
            try await t.ann.ok("PING")
            #expect(await t.ann.received("notification").isEmpty)
            e.clock.advance(by: 1)
            try await e.engine.matches.expireOverdue()
            let note = try await t.ann.event("notification")
            #expect(note.body["kind"]?.stringValue == "deadline_soon")
            #expect(note.body["match"]?.stringValue == t.match)
            e.clock.advance(by: 5)
            try await e.engine.matches.expireOverdue()
            try await t.play(["f5"])
            #expect(await t.ann.received("notification").isEmpty, "once per turn")
            e.clock.advance(by: 80)
            try await e.engine.matches.expireOverdue()
            try await e.engine.matches.expireOverdue()
            let boNote = try await t.bo.event("notification")
            #expect(boNote.body["kind"]?.stringValue == "deadline_soon")
            try await t.bo.ok("PING")
            try await t.ann.ok("PING")
            #expect(await t.bo.received("notification").isEmpty)
            #expect(await t.ann.received("notification").isEmpty)
        }
    }

    /// Automatch pairs only players who asked for the same clock; the match starts with it.
    @Test func automatchPairsIdenticalClocksOnly() async throws {
        try await InProcessEngine.with { e in
            let (a, _, _) = try await e.login("device-auto-0001")
            let (b, _, _) = try await e.login("device-auto-0002")
            let (c, cID, _) = try await e.login("device-auto-0003")
            let one = #"{"clock":{"initial":600,"increment":60,"max":900}}"#
            let other = #"{"clock":{"initial":600,"increment":30,"max":900}}"#
            #expect(try await a.ok("QUEUE reversi \(one)")?["queued"]?.boolValue == true)
            #expect(try await b.ok("QUEUE reversi \(other)")?["queued"]?.boolValue == true, "another clock: no pair")
            #expect(try await b.ok(#"QUEUE reversi {"turn_seconds":600}"#)?["queued"]?.boolValue == true)
            let paired = try await c.ok("QUEUE reversi \(one)")
            let match = try #require(paired?["match"]?.stringValue)
            let start = try await c.event("start", match: match)
            #expect(start.body["clocks"]?[cID]?.intValue == 600)
            let listed = try await c.ok("MATCHES")
            #expect(listed?.arrayValue?.first?["clocks"]?[cID]?.intValue == 600)
            let m = try await c.ok("MATCH \(match)")
            #expect(m?["settings"]?["clock"] == .object(["initial": 600, "increment": 60, "max": 900]))
        }
    }

    @Test func digestHoursAreChecked() async throws {
        try await InProcessEngine.with { e in
            let (c, _, _) = try await e.login("device-dig-0001")
            #expect(try await c.error(#"PROFILE SET {"email_digest_hours":0}"#) == "bad_request")
            #expect(try await c.error(#"PROFILE SET {"email_digest_hours":169}"#) == "bad_request")
            #expect(try await c.error(#"PROFILE SET {"email_digest_hours":"24"}"#) == "bad_request")
            try await c.ok(#"PROFILE SET {"email_digest_hours":24}"#)
        }
    }
}
