import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// The clock's transitions of `MatchState`, pure: what a move, a vacation and a reminder
/// write into the match row.
@Suite struct MatchStateClockTests {
    static let t0 = MatchStateTests.t0
    static let clock: JSONObject = ["side": "first", "clock": ["initial": 100, "increment": 30, "max": 120]]

    static func move(_ s: MatchState, _ by: String, _ ply: Int, _ text: String, at now: Date) throws -> MatchTransition {
        guard case .played(let t) = try s.move(by: by, connection: nil, ply: ply, text: text, now: now) else {
            throw PlyError(.internal, "not played")
        }
        return t
    }

    @Test func acceptingFillsTheBanksAndSetsTheReminder() throws {
        let s = try MatchStateTests.active(Self.clock)
        #expect(s.row.clockBanks == [100, 100])
        #expect(s.row.deadline == Self.t0 + 100)
        #expect(s.row.remindAt == Self.t0 + 75)
        #expect(s.startBody["clocks"] == .object(["ann": 100, "bo": 100]))
        let fixed = try MatchStateTests.active()
        #expect(fixed.row.clockBanks.isEmpty)
        #expect(fixed.row.remindAt == Self.t0 + Double(MatchSettings.defaultTurnSeconds) * 3 / 4, "a quarter of 3 days: less than a day")
    }

    @Test func aMoveWritesTheBankAndTheNextDeadline() throws {
        let s = try MatchStateTests.active(Self.clock)
        let t = try Self.move(s, "ann", 1, "f5", at: Self.t0 + 40)
        #expect(t.next.row.clockBanks == [90, 100])
        #expect(t.next.row.deadline == Self.t0 + 140)
        #expect(t.next.row.remindAt == Self.t0 + 115)
        #expect(t.reply["clocks"] == .object(["ann": 90, "bo": 100]))
        guard case .updateMatch(let row, _) = t.writes.last else { Issue.record("no match write"); return }
        #expect(row.clockBanks == [90, 100] && row.remindAt == Self.t0 + 115)
    }

    @Test func aVacationMovesTheDeadlineAndEndingItTakesBackTheRest() throws {
        let s = try MatchStateTests.active(Self.clock)
        let until = Self.t0 + 10 + 86400
        let paused = try #require(s.paused(by: "ann", until: until, now: Self.t0 + 10))
        #expect(paused.next.row.deadline == Self.t0 + 100 + 86400)
        #expect(paused.next.row.remindAt == Self.t0 + 75 + 86400)
        #expect(paused.next.pause(of: 0) == until)
        #expect(paused.next.clocksJSON(now: Self.t0 + 5000) == .object(["ann": 90, "bo": 100]))
        let resumed = try #require(paused.next.resumed(by: "ann", now: Self.t0 + 70))
        #expect(resumed.next.row.deadline == Self.t0 + 160)
        #expect(resumed.next.row.pausedUntil.isEmpty)
        #expect(paused.next.resumed(by: "bo", now: Self.t0 + 70) == nil, "Bo was not on vacation")
        // A turn that reaches a player on vacation begins when it ends.
        let boAway = try #require(s.paused(by: "bo", until: until, now: Self.t0 + 10))
        #expect(boAway.next.row.deadline == Self.t0 + 100, "not Bo's turn")
        let t = try Self.move(boAway.next, "ann", 1, "f5", at: Self.t0 + 20)
        #expect(t.next.row.deadline == until + 100)
    }

    @Test func aReminderIsMarkedOncePerTurn() throws {
        let s = try MatchStateTests.active(Self.clock)
        #expect(s.reminded(now: Self.t0 + 74) == nil)
        let r = try #require(s.reminded(now: Self.t0 + 75))
        #expect(r.next.row.remindAt == nil)
        #expect(r.next.reminded(now: Self.t0 + 99) == nil)
        let t = try Self.move(r.next, "ann", 1, "f5", at: Self.t0 + 80)
        #expect(t.next.row.remindAt != nil, "the next turn has its own")
    }
}
