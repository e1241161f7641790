import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore

/// Correspondence clocks, vacations and reminders on a match, as transitions of the pure
/// `MatchState` (the arithmetic is `TurnClock`'s). Everything lives in the match row: the
/// deadline of the player to move, each seat's bank after its last move, each seat's
/// vacation end, the reminder time; so a clock survives restarts and eviction, and time
/// spent while the server was down counts.
extension MatchState {
    /// The end of the vacation of the player in `seat` that was added to their deadlines.
    func pause(of seat: Int) -> Date? {
        guard row.pausedUntil.indices.contains(seat), row.pausedUntil[seat] > 0 else { return nil }
        return Date(timeIntervalSince1970: Double(row.pausedUntil[seat]))
    }

    /// The banks by seat, as stored, or every seat's initial bank.
    private func banks(_ clock: ClockSettings) -> [Int] {
        row.clockBanks.count == row.seats.count ? row.clockBanks : Array(repeating: clock.initial, count: row.seats.count)
    }

    /// The first turn of a match that starts at `now` (the deadline is set already): full
    /// banks, and the reminder.
    static func openClock(_ row: inout MatchRow, settings: MatchSettings, now: Date) {
        if let clock = settings.clock { row.clockBanks = Array(repeating: clock.initial, count: row.seats.count) }
        row.pausedUntil = []
        row.remindAt = row.deadline.map { TurnClock.reminder(deadline: $0, seconds: settings.turnSeconds) }
    }

    /// The seat `mover` moved at `now` with `deadline` its turn's end, and the match goes on
    /// with `next` to move: the mover's bank is what was left plus the increment (at most
    /// `max`), and the next turn lasts the next player's bank (or the fixed time), from the
    /// end of their vacation if they are on one.
    mutating func passTurn(from mover: Int, to next: Int, now: Date, deadline: Date?) {
        var seconds = settings.turnSeconds
        if let clock = settings.clock {
            var b = banks(clock)
            let end = deadline ?? now.addingTimeInterval(Double(b[mover]))
            b[mover] = TurnClock.bankAfterMove(deadline: end, now: now, pausedUntil: pause(of: mover), clock: clock)
            row.clockBanks = b
            seconds = b[next]
        }
        let turnEnd = TurnClock.deadline(now: now, seconds: seconds, pausedUntil: pause(of: next))
        row.deadline = turnEnd
        row.remindAt = TurnClock.reminder(deadline: turnEnd, seconds: seconds)
        // Vacations that are over no longer matter.
        let stamp = Int(now.timeIntervalSince1970)
        if !row.pausedUntil.isEmpty {
            let kept = row.pausedUntil.map { $0 > stamp ? $0 : 0 }
            row.pausedUntil = kept.allSatisfy { $0 == 0 } ? [] : kept
        }
    }

    /// `"clocks"`: each player's seconds left at `now` (the player to move's bank runs; a
    /// vacation still to come is not counted in it), or nil without a clock.
    func clocksJSON(now: Date) -> JSONValue? {
        settings.clock == nil ? nil : Self.clocksJSON(row, now: now)
    }

    /// The same from a stored row alone (`MATCHES`); nil when the row has no banks.
    static func clocksJSON(_ row: MatchRow, now: Date) -> JSONValue? {
        guard !row.clockBanks.isEmpty, row.clockBanks.count == row.seats.count else { return nil }
        var o = JSONObject()
        for (i, p) in row.seats.enumerated() {
            var left = row.clockBanks[i]
            if row.status == .active, row.toMove == p, let d = row.deadline {
                let paused = row.pausedUntil.indices.contains(i) && row.pausedUntil[i] > 0
                    ? Date(timeIntervalSince1970: Double(row.pausedUntil[i])) : nil
                left = TurnClock.left(deadline: d, now: now, pausedUntil: paused)
            }
            o[p] = .int(left)
        }
        return .object(o)
    }

    /// The banks as stored (at a turn's start, the player to move's whole bank).
    var storedClocksJSON: JSONValue? {
        guard let clock = settings.clock, row.seats.count > 0 else { return nil }
        let b = banks(clock)
        return .object(JSONObject(row.seats.enumerated().map { ($0.element, .int(b[$0.offset])) }))
    }

    /// The seats of `player` in this match.
    private func seats(of player: String) -> [Int] { row.seats.indices.filter { row.seats[$0] == player } }

    /// The player goes on vacation until `until`: their turn's deadline (and reminder) move
    /// by its length; a turn that comes to them meanwhile begins when it ends. Nil when the
    /// match is not active or not theirs.
    func paused(by player: String, until: Date, now: Date) -> MatchTransition? {
        let now = now.wholeSeconds
        let mine = seats(of: player)
        guard status == .active, !mine.isEmpty else { return nil }
        var after = self
        var p = row.pausedUntil.count == row.seats.count ? row.pausedUntil : Array(repeating: 0, count: row.seats.count)
        for seat in mine { p[seat] = Int(until.timeIntervalSince1970) }
        after.row.pausedUntil = p
        if mine.contains(position.sideToMove), let d = row.deadline {
            let shift = Double(TurnClock.seconds(from: now, to: until))
            after.row.deadline = d.addingTimeInterval(shift)
            after.row.remindAt = row.remindAt?.addingTimeInterval(shift)
        }
        return MatchTransition(next: after, writes: [.updateMatch(after.row, newParticipant: nil)], publications: [], reply: [:])
    }

    /// The player's vacation ends at `now`, before its end: what was added to their
    /// deadline and not used is taken back. Nil when nothing changes.
    func resumed(by player: String, now: Date) -> MatchTransition? {
        let now = now.wholeSeconds
        let mine = seats(of: player)
        guard status == .active, let seat = mine.first, let until = pause(of: seat), until > now else { return nil }
        var after = self
        var p = row.pausedUntil
        for s in mine { p[s] = 0 }
        after.row.pausedUntil = p.allSatisfy { $0 == 0 } ? [] : p
        if mine.contains(position.sideToMove), let d = row.deadline {
            let unused = Double(TurnClock.seconds(from: now, to: until))
            after.row.deadline = d.addingTimeInterval(-unused)
            after.row.remindAt = row.remindAt?.addingTimeInterval(-unused)
        }
        return MatchTransition(next: after, writes: [.updateMatch(after.row, newParticipant: nil)], publications: [], reply: [:])
    }

    /// The reminder of the player to move is due: it is marked sent (once per turn). Nil
    /// when it is not due.
    func reminded(now: Date) -> MatchTransition? {
        guard status == .active, row.toMove != nil, let r = row.remindAt, r <= now else { return nil }
        var after = self
        after.row.remindAt = nil
        return MatchTransition(next: after, writes: [.updateMatch(after.row, newParticipant: nil)], publications: [], reply: [:])
    }
}
