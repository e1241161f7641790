import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore

extension MatchState {
    /// `TAKEBACK <match> offer|accept|decline`. One offer waits at a time and lives in
    /// memory, like a draw offer; a move clears it. A declined offer cannot be repeated
    /// until a ply is played. Accepting takes back the offerer's last ply and the opponent's
    /// reply after it, if any: the match becomes the replay of the plies before, with a fresh
    /// turn deadline, and the stored plies past it move to `taken_back_plies` in the same
    /// commit (Schema/008). Events: `takeback` `{"match","by","state"}` (`by`: who acted) to
    /// the players' other connections, and on acceptance `undo` (a move summary with the new
    /// `ply` and the `undone` moves).
    func takeback(by player: String, action: DrawAction, connection: Int?, now: Date) throws(PlyError) -> MatchTransition {
        guard let seat = row.seats.firstIndex(of: player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        guard status == .active else { throw PlyError.forbidden("the match has not started") }
        func told(_ state: String) -> Publication {
            Publication(
                Event("takeback", ["match": .string(id), "by": .string(player), "state": .string(state)]), to: row.seats,
                except: connection)
        }
        switch action {
        case .offer:
            guard movers.contains(seat) else { throw PlyError.conflict("you have no move to take back") }
            if takebackOfferBy == player {
                // Offered already: the opponent was told once.
                return MatchTransition(next: self, writes: [], publications: [], reply: ["match": .string(id), "offered": true])
            }
            if let by = takebackOfferBy { throw PlyError.conflict("\(by) offered a takeback; accept or decline it first") }
            guard takebackDeclinedAt[player] != moves.count else {
                throw PlyError(.rateLimited, "your takeback offer was declined; you may offer again after the next move")
            }
            var after = self
            after.takebackOfferBy = player
            return MatchTransition(
                next: after, writes: [], publications: [told("offered")], reply: ["match": .string(id), "offered": true])
        case .decline:
            guard let by = takebackOfferBy, by != player else { throw PlyError.conflict("there is no takeback offer to decline") }
            var after = self
            after.takebackOfferBy = nil
            after.takebackDeclinedAt[by] = moves.count
            return MatchTransition(
                next: after, writes: [], publications: [told("declined")], reply: ["match": .string(id), "declined": true])
        case .accept:
            guard let by = takebackOfferBy, by != player, let offerer = row.seats.firstIndex(of: by),
                let last = movers.lastIndex(of: offerer)
            else { throw PlyError.conflict("there is no takeback offer to accept") }
            let kept = Array(moves[..<last])
            let undone = Array(moves[last...])
            let stamp = now.wholeSeconds
            var r = row
            r.plyCount = kept.count
            r.toMove = by  // the offerer played the first ply taken back, so it is their turn again
            r.updatedAt = stamp
            // A clock is not wound back: the turn that was running keeps what it spent (no
            // increment, as no move was made), and the offerer's turn lasts their bank.
            var seconds = settings.turnSeconds
            if let clock = settings.clock, r.clockBanks.count == r.seats.count {
                if let deadline = row.deadline, let running = row.toMove.flatMap({ row.seats.firstIndex(of: $0) }) {
                    r.clockBanks[running] = Swift.min(clock.max, TurnClock.left(deadline: deadline, now: stamp, pausedUntil: pause(of: running)))
                }
                seconds = r.clockBanks[offerer]
            }
            r.deadline = TurnClock.deadline(now: stamp, seconds: seconds, pausedUntil: pause(of: offerer))
            r.remindAt = r.deadline.map { TurnClock.reminder(deadline: $0, seconds: seconds) }
            let after: MatchState
            do {
                after = try MatchState(row: r, rules: rules, settings: settings, plies: kept)
            } catch {
                throw PlyError(.internal, "the match does not replay: \(error)")
            }
            var summary = MatchJSON.moveSummary(after.row)
            if let clocks = after.clocksJSON(now: stamp) { summary["clocks"] = clocks }
            summary["undone"] = .array(undone.map { .string($0) })
            return MatchTransition(
                next: after, writes: [.updateMatch(after.row, newParticipant: nil)],
                publications: [
                    told("accepted"),
                    Publication(
                        Event("undo", summary), to: row.seats, except: connection,
                        away: Away("your_turn", [by], turn: kept.count + 1)),
                ],
                reply: summary)
        }
    }
}
