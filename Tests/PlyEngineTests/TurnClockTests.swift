import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import Testing

@testable import PlyEngine
@testable import PlyStore

/// The pure arithmetic of clocks and vacations, and the clock's settings.
@Suite struct TurnClockTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let clock = ClockSettings(initial: 100, increment: 30, max: 120)

    @Test func aBankKeepsWhatWasLeftPlusTheIncrementCappedAtMax() {
        let deadline = Self.t0.addingTimeInterval(100)
        // 60 s spent: 40 left + 30.
        #expect(TurnClock.bankAfterMove(deadline: deadline, now: Self.t0 + 60, pausedUntil: nil, clock: Self.clock) == 70)
        // 5 s spent: 95 + 30 = 125, capped at 120.
        #expect(TurnClock.bankAfterMove(deadline: deadline, now: Self.t0 + 5, pausedUntil: nil, clock: Self.clock) == 120)
        // Past the deadline (the poll had not ended it yet): nothing left, only the increment.
        #expect(TurnClock.bankAfterMove(deadline: deadline, now: Self.t0 + 200, pausedUntil: nil, clock: Self.clock) == 30)
    }

    @Test func aTurnThatBeginsDuringAVacationBeginsAtItsEnd() {
        let until = Self.t0 + 3600
        #expect(TurnClock.deadline(now: Self.t0, seconds: 100, pausedUntil: until) == until + 100)
        #expect(TurnClock.deadline(now: Self.t0, seconds: 100, pausedUntil: Self.t0 - 10) == Self.t0 + 100)
        // What is left does not count the vacation still to come.
        #expect(TurnClock.left(deadline: until + 100, now: Self.t0, pausedUntil: until) == 100)
        #expect(TurnClock.left(deadline: until + 100, now: until + 40, pausedUntil: until) == 60)
    }

    @Test func theReminderComesAtAQuarterOfTheTurnOrADayBefore() {
        let d = Self.t0 + 1000
        #expect(TurnClock.reminder(deadline: d, seconds: 8) == d - 2)
        #expect(TurnClock.reminder(deadline: d, seconds: 5 * 86400) == d - 86400)
        #expect(TurnClock.reminder(deadline: d, seconds: 40000) == d - 10000)
    }

    @Test(arguments: [
        #"{"initial":0}"#, #"{"initial":-5}"#, #"{"initial":60,"max":30}"#, #"{"initial":60,"increment":-1}"#,
        #"{"initial":31536001}"#, #"{"increment":5}"#, #"{"initial":60,"bonus":5}"#, #"{"initial":"60"}"#, "[60]", "60",
        #"{"initial":60.5}"#,
    ])
    func badClocksAreBadRequests(_ text: String) throws {
        let v = try JSONValue(parsing: text)
        #expect(throws: PlyError.self) { try ClockSettings(v) }
    }

    @Test func clockDefaultsAndSettings() throws {
        let c = try ClockSettings(try JSONValue(parsing: #"{"initial":60}"#))
        #expect(c == ClockSettings(initial: 60, increment: 0, max: 60))
        let reversi = try #require(GameCatalog.game("reversi"))
        let s = try MatchSettings(try JSONValue.parseObject(#"{"clock":{"initial":60,"increment":10,"max":90}}"#), rules: reversi)
        #expect(s.turnSeconds == 60)
        #expect(s.json(rules: reversi)["clock"] == .object(["initial": 60, "increment": 10, "max": 90]))
        #expect(s.json(rules: reversi)["turn_seconds"] == nil)
        // Stored and read again: the same settings.
        let again = try MatchSettings(s.json(rules: reversi), rules: reversi)
        #expect(again.clock == s.clock)
        #expect(throws: PlyError.self) {
            try MatchSettings(try JSONValue.parseObject(#"{"clock":{"initial":60},"turn_seconds":60}"#), rules: reversi)
        }
        // Automatch: different clocks never pair; a fixed time keeps its old key.
        let other = try MatchSettings(try JSONValue.parseObject(#"{"clock":{"initial":60,"increment":5,"max":90}}"#), rules: reversi)
        #expect(s.pairingKey(rules: reversi) != other.pairingKey(rules: reversi))
        let fixed = try MatchSettings(try JSONValue.parseObject(#"{"turn_seconds":60}"#), rules: reversi)
        #expect(fixed.pairingKey(rules: reversi) != s.pairingKey(rules: reversi))
        #expect(!fixed.pairingKey(rules: reversi).contains("clock"))
    }

    // MARK: vacation allowance

    static let allowance = VacationAllowance(daysPerYear: 30)

    @Test func theAllowanceIsSpentAndGivenBackByWholeDays() throws {
        var v = VacationRow()
        v = try Self.allowance.start(v, days: 10, now: Self.t0)
        #expect(v.until == Self.t0 + 10 * 86400)
        #expect(Self.allowance.daysLeft(v, now: Self.t0) == 20)
        #expect(VacationAllowance.isOnVacation(v, now: Self.t0 + 100))
        // A second one while on vacation: conflict.
        #expect(throws: PlyError.conflict("on vacation until \(Timestamp.rfc3339(v.until!)); VACATION off first")) {
            try Self.allowance.start(v, days: 1, now: Self.t0 + 100)
        }
        // Ended after 2.5 days: 7 whole days not begun come back, 3 are used.
        v = try Self.allowance.end(v, now: Self.t0 + 2.5 * 86400)
        #expect(v.until == Self.t0 + 2.5 * 86400)
        #expect(Self.allowance.daysLeft(v, now: Self.t0 + 3 * 86400) == 27)
        #expect(throws: PlyError.self) { try Self.allowance.end(v, now: Self.t0 + 3 * 86400) }
        #expect(throws: PlyError.self) { try Self.allowance.start(v, days: 28, now: Self.t0 + 3 * 86400) }
        #expect(throws: PlyError.self) { try Self.allowance.start(v, days: 0, now: Self.t0 + 3 * 86400) }
    }

    /// Starting and stopping a vacation over and over to stall an opponent: each costs a day.
    @Test func vacationsStoppedAtOnceStillCostADay() throws {
        var v = VacationRow()
        var now = Self.t0
        for i in 0..<30 {
            v = try Self.allowance.start(v, days: 1, now: now)
            now += i % 2 == 0 ? 0 : 60  // ended in the second it began, or a minute later
            v = try Self.allowance.end(v, now: now)
            now += 60
        }
        #expect(Self.allowance.daysLeft(v, now: now) == 0)
        #expect(throws: PlyError.self) { try Self.allowance.start(v, days: 1, now: now) }
    }

    @Test func theAllowanceComesBackInANewYear() throws {
        let lateDecember = Date(timeIntervalSince1970: 1_830_000_000)  // 2027-12-28
        var v = try Self.allowance.start(VacationRow(), days: 30, now: lateDecember - 40 * 86400)
        #expect(Self.allowance.daysLeft(v, now: lateDecember) == 0)
        let january = lateDecember + 10 * 86400
        #expect(Self.allowance.daysLeft(v, now: january) == 30)
        v = try Self.allowance.start(v, days: 5, now: january)
        #expect(Self.allowance.daysLeft(v, now: january) == 25)
    }
}
