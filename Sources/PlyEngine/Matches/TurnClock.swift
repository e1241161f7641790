import Foundation
import PlyJSON
import PlyProtocol
import PlyStore

/// A correspondence clock: each player has a bank of `initial` seconds that runs only on
/// their turn; each move adds `increment`, up to `max`.
public struct ClockSettings: Sendable, Hashable {
    public var initial: Int
    public var increment: Int
    public var max: Int

    /// The longest bank or increment: a year, as for `turn_seconds`.
    public static let longest = ProtocolLimits.turnSeconds.upperBound

    public init(initial: Int, increment: Int, max: Int) {
        self.initial = initial
        self.increment = increment
        self.max = max
    }

    /// Reads `{"initial":S,"increment":S,"max":S}`: `initial` from 1 second to a year,
    /// `increment` from 0 to a year (default 0), `max` from `initial` to a year (default
    /// `initial`). Anything else is `bad_request`.
    public init(_ value: JSONValue) throws(PlyError) {
        guard case .object(let o) = value else {
            throw .badRequest(#"clock must be an object {"initial":S,"increment":S,"max":S}"#)
        }
        for f in o where !["initial", "increment", "max"].contains(f.key) {
            throw .badRequest("clock has no field \(f.key); it takes initial, increment and max")
        }
        func seconds(_ key: String, _ range: ClosedRange<Int>, default d: Int?) throws(PlyError) -> Int {
            guard let v = o[key] else {
                guard let d else { throw .badRequest("clock needs initial (seconds)") }
                return d
            }
            guard let n = v.intValue, range.contains(n) else {
                throw .badRequest("clock \(key) must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        initial = try seconds("initial", 1...Self.longest, default: nil)
        increment = try seconds("increment", 0...Self.longest, default: 0)
        max = try seconds("max", initial...Self.longest, default: initial)
    }

    public var json: JSONObject {
        ["initial": .int(initial), "increment": .int(increment), "max": .int(max)]
    }
}

/// The arithmetic of turns in time: deadlines, banks, vacations and reminders, pure. A
/// clock is never a timer: the player to move has a deadline (the turn's start, or the end
/// of their vacation if later, plus their bank or the fixed time per turn), and the bank of
/// a player who moved is what was left of it plus the increment. A vacation that starts
/// during a turn moves that turn's deadline by its length; one that ends early takes back
/// what was not used, so the pause is exact to the second.
enum TurnClock {
    /// Whole seconds between two dates (rounded down; never negative).
    static func seconds(from a: Date, to b: Date) -> Int {
        Swift.max(0, Int((b.timeIntervalSince1970 - a.timeIntervalSince1970).rounded(.down)))
    }

    /// When a turn of `seconds` that begins at `now` ends: a player still on vacation
    /// begins at its end.
    static func deadline(now: Date, seconds: Int, pausedUntil: Date?) -> Date {
        let start = pausedUntil.map { Swift.max($0, now) } ?? now
        return start.addingTimeInterval(Double(seconds))
    }

    /// What is left of the turn of a player to move: up to the deadline, less the part of a
    /// vacation still to come.
    static func left(deadline: Date, now: Date, pausedUntil: Date?) -> Int {
        let from = pausedUntil.map { Swift.max($0, now) } ?? now
        return seconds(from: from, to: deadline)
    }

    /// The mover's bank after moving: what was left, plus the increment, at most `max`.
    static func bankAfterMove(deadline: Date, now: Date, pausedUntil: Date?, clock: ClockSettings) -> Int {
        Swift.min(clock.max, left(deadline: deadline, now: now, pausedUntil: pausedUntil) + clock.increment)
    }

    /// When the player to move is reminded: a quarter of the turn or 24 hours before the
    /// deadline, whichever is less.
    static func reminder(deadline: Date, seconds: Int) -> Date {
        let ahead = Swift.min(Double(seconds) / 4, 24 * 3600)
        return deadline.addingTimeInterval(-ahead).wholeSeconds
    }
}

/// The yearly vacation allowance, pure. A vacation is whole days; what it uses counts in
/// the calendar year (UTC) it began. Ending it early gives back the whole days not begun,
/// so every vacation costs at least one day: starting and stopping one over and over to
/// stall an opponent runs out of allowance.
struct VacationAllowance: Sendable {
    /// Days a player may be on vacation per calendar year.
    var daysPerYear: Int

    static func year(of date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.component(.year, from: date)
    }

    /// Whether a vacation is in force at `now`.
    static func isOnVacation(_ v: VacationRow, now: Date) -> Bool { (v.until ?? .distantPast) > now }

    /// Days left this year.
    func daysLeft(_ v: VacationRow, now: Date) -> Int {
        let used = v.year == Self.year(of: now) ? v.daysUsed : 0
        return Swift.max(0, daysPerYear - used)
    }

    /// A vacation of `days` from `now`: `conflict` while one is in force, `bad_request` for
    /// a number of days that is not 1 to the allowance, `forbidden` past the days left.
    func start(_ v: VacationRow, days: Int, now: Date) throws(PlyError) -> VacationRow {
        if Self.isOnVacation(v, now: now), let until = v.until {
            throw .conflict("on vacation until \(Timestamp.rfc3339(until)); VACATION off first")
        }
        guard (1...Swift.max(1, daysPerYear)).contains(days) else {
            throw .badRequest("a vacation is 1 to \(daysPerYear) days")
        }
        let left = daysLeft(v, now: now)
        guard days <= left else {
            throw .forbidden("\(left) of \(daysPerYear) vacation days left this year")
        }
        let year = Self.year(of: now)
        let start = now.wholeSeconds
        return VacationRow(
            until: start.addingTimeInterval(Double(days) * 86400), started: start, year: year,
            daysUsed: daysPerYear - left + days)
    }

    /// Ends the vacation in force at `now`, giving back the whole days not begun (the day
    /// under way counts, even in its first second).
    func end(_ v: VacationRow, now: Date) throws(PlyError) -> VacationRow {
        guard Self.isOnVacation(v, now: now), let until = v.until else { throw .conflict("you are not on vacation") }
        let stop = now.wholeSeconds
        let started = v.started ?? stop
        let days = (TurnClock.seconds(from: started, to: until) + 86399) / 86400
        let begun = Swift.max(1, (TurnClock.seconds(from: started, to: stop) + 86399) / 86400)
        var after = v
        after.until = stop
        after.daysUsed = Swift.max(0, v.daysUsed - Swift.max(0, days - begun))
        return after
    }
}
