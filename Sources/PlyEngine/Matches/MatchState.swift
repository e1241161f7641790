import Foundation
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore

/// A match as a value: its stored row, its position and history, and the rules of what may
/// happen to it. Every operation checks a request against the match and returns a
/// `MatchTransition` (the match after it, the writes that make it durable, the events to
/// publish, the reply) without doing any of it: the `Match` actor commits the writes, then
/// adopts the new state and publishes. Pure, so every rule is tested without a database.
struct MatchState: Sendable {
    let rules: any GameRules
    let settings: MatchSettings
    /// Settable in this module: the clock's transitions (`MatchState+Clock.swift`) change it.
    var row: MatchRow
    private(set) var position: GameState
    /// The position before the last ply, to recognise a retried last move in any spelling.
    private(set) var previous: GameState?
    private(set) var moves: [String]
    /// The seat that played each ply: a retried move is a duplicate only for its own mover,
    /// and a player who never moved neither loses on time nor is rated.
    private(set) var movers: [Int]
    private(set) var drawOfferBy: String?
    /// Each waiting player's conditional lines, as still to play: each starts at the next ply
    /// (`MatchState+Conditional.swift`).
    var conditionalLines: [String: [ConditionalLine]] = [:]
    /// The player whose takeback offer waits for an answer (`MatchState+Takeback.swift`).
    var takebackOfferBy: String?
    /// The ply count at which each player's last takeback offer was declined: one offer per
    /// position, so declined offers cannot be repeated to flood the opponent.
    var takebackDeclinedAt: [String: Int] = [:]

    /// The match as stored, its plies replayed through the rules.
    init(row: MatchRow, rules: any GameRules, settings: MatchSettings, plies: [String]) throws(MatchReplayError) {
        self.row = row
        self.rules = rules
        self.settings = settings
        var s: GameState
        do {
            s = try GameState(game: rules, settings: settings.game)
        } catch {
            throw MatchReplayError(match: row.id, ply: 0, move: "", error: error)
        }
        var prev: GameState?
        var recorded: [String] = []
        var seats: [Int] = []
        for (i, text) in plies.enumerated() {
            do {
                let (next, notation) = try s.applying(text)
                seats.append(s.sideToMove)
                prev = s
                s = next
                recorded.append(notation)
            } catch {
                throw MatchReplayError(match: row.id, ply: i + 1, move: text, error: error)
            }
        }
        position = s
        previous = prev
        moves = recorded
        movers = seats
    }

    var id: String { row.id }
    var status: MatchStatus { row.status }

    /// The players of the match: its seats once it started, else the challenger and the
    /// invited player.
    var participants: [String] {
        row.seats.isEmpty ? [row.creator] + (row.invitee.map { [$0] } ?? []) : row.seats
    }

    /// Whether a player is part of the match (seated, or the challenger or invitee).
    func isParticipant(_ player: String) -> Bool {
        row.seats.contains(player) || player == row.creator || player == row.invitee
    }

    /// Whether an ending now is rated: the settings allow it and every seat has moved (with
    /// `movedToo`, the seat whose move is ending the match).
    func isRated(movedToo seat: Int? = nil) -> Bool {
        var moved = Set(movers)
        if let seat { moved.insert(seat) }
        return settings.rated && row.seats.count == 2 && row.seats[0] != row.seats[1]
            && row.seats.indices.allSatisfy { moved.contains($0) }
    }

    // MARK: reading

    func legalMoves() throws(PlyError) -> [String] {
        guard status == .active else {
            if status.isOver { throw PlyError(.gameOver, "the match has ended") }
            throw PlyError.forbidden("the match has not started")
        }
        return position.legalMoves()
    }

    /// Whether `player` may watch: open, automatch and finished matches, and invitations
    /// made public. False for a player of the match, who gets its events already.
    func admitsWatcher(_ player: String) throws(PlyError) -> Bool {
        if isParticipant(player) { return false }
        guard status.isOver || status == .open || settings.isPublic == true else {
            throw PlyError.forbidden("match \(id) is private")
        }
        return true
    }

    /// Whether `player` may read the match (`MATCH`, `LEGAL`, `RECORD`): its players and
    /// whoever may watch it. A private invitation, and the match it became, is `forbidden`
    /// to anyone else until it is over.
    func checkReader(_ player: String) throws(PlyError) {
        if !isParticipant(player) { _ = try admitsWatcher(player) }
    }

    /// The whole match, as `MATCH` shows it; `names` by player id.
    func describe(names: [String: String], now: Date = Date()) -> JSONObject {
        var o = MatchJSON.header(row, rules: rules, names: names)
        o["settings"] = .object(settings.json(rules: rules))
        o["moves"] = .array(moves.map { .string($0) })
        o["position"] = .string(position.describe())
        o["created_at"] = .string(Timestamp.rfc3339(row.createdAt))
        for f in position.extras() { o[f.key] = f.value }
        if status == .active { o["draw_offer_by"] = .optional(drawOfferBy) }
        if status == .active { o["takeback_offer_by"] = .optional(takebackOfferBy) }
        if let clocks = clocksJSON(now: now) { o["clocks"] = clocks }
        return MatchJSON.ordered(o, MatchJSON.describeOrder)
    }

    /// `EVENT start`'s body.
    var startBody: JSONObject {
        let players: [JSONValue] = row.seats.enumerated().map { i, p in
            ["player": .string(p), "side": .string(rules.seatNames[i])]
        }
        var o: JSONObject = [
            "match": .string(id), "game": .string(rules.id), "players": .array(players),
            "to_move": .optional(row.toMove), "deadline": .optional(row.deadline.map(Timestamp.rfc3339)),
        ]
        if let clocks = storedClocksJSON { o["clocks"] = clocks }
        return o
    }

    /// The start of the match, for both players (the first to move is notified if away).
    var startPublication: Publication {
        Publication(
            Event("start", startBody), to: row.seats, away: row.toMove.map { Away("your_turn", [$0], turn: 1) })
    }

    // MARK: moves

    enum MoveOutcome: Sendable {
        /// The same move by the same player was played already: the reply, nothing to do.
        case duplicate(JSONObject)
        case played(MatchTransition)
    }

    /// One ply by a player, without conditional lines (`move` adds them).
    func playOne(by player: String, connection: Int?, ply: Int, text: String, now: Date) throws(PlyError) -> MoveOutcome {
        guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        let count = moves.count
        if ply <= count {
            if isDuplicate(ply: ply, text: text, by: player) {
                var o = MatchJSON.moveSummary(row)
                o["ply"] = .int(ply)
                o["duplicate"] = true
                return .duplicate(o)
            }
            throw PlyError(.stalePly, "ply \(ply) was already played; the next ply is \(count + 1)")
        }
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        guard status == .active else { throw PlyError.forbidden("the match has not started") }
        guard ply == count + 1 else { throw PlyError(.stalePly, "the next ply is \(count + 1)") }
        let seat = position.sideToMove
        let mover = row.seats[seat]
        guard mover == player else { throw PlyError(.notYourTurn, "the match is waiting for \(mover)") }
        let next: GameState
        let notation: String
        switch Result(catching: { () throws(RuleError) in try position.applying(text) }) {
        case .success(let r): (next, notation) = r
        case .failure(let e): throw PlyError(.illegalMove, "\(e.rule): \(e.message)")
        }
        let stamp = now.wholeSeconds
        var after = self
        after.row.plyCount = count + 1
        after.row.updatedAt = stamp
        switch next.outcome {
        case .ongoing:
            after.row.toMove = row.seats[next.sideToMove]
            after.row.deadline = stamp.addingTimeInterval(Double(settings.turnSeconds))
            after.passTurn(from: seat, to: next.sideToMove, now: stamp, deadline: row.deadline)
        case .win(let winner, _):
            after.end(winner: row.seats[winner], reason: "rules")
        case .draw:
            after.end(winner: nil, reason: "draw")
        }
        after.movers.append(seat)
        after.previous = position
        after.position = next
        after.moves.append(notation)
        after.drawOfferBy = nil
        let ending = after.status == .finished
        var summary = MatchJSON.moveSummary(after.row)
        if let clocks = after.clocksJSON(now: stamp) { summary["clocks"] = clocks }
        let away: Away? =
            ending ? Away("ended", row.seats) : after.row.toMove.map { Away("your_turn", [$0], turn: count + 2) }
        return .played(MatchTransition(
            next: after,
            writes: [.ply(PlyRow(match: id, ply: count + 1, move: notation, playedAt: stamp)), .updateMatch(after.row, newParticipant: nil)],
            rating: ending && isRated(movedToo: seat) ? after.ratedEnding : nil,
            publications: [
                Publication(
                    Event("move", MatchJSON.moveEvent(summary, move: notation, by: player)), to: row.seats, except: connection,
                    away: away)
            ],
            reply: summary))
    }

    private func isDuplicate(ply: Int, text: String, by player: String) -> Bool {
        guard row.seats.indices.contains(movers[ply - 1]), row.seats[movers[ply - 1]] == player else { return false }
        if ply == moves.count, let previous, let (_, n) = try? previous.applying(text) {
            return n == moves[ply - 1]
        }
        // Older plies: the recorded notation, compared without regard to case or spacing.
        let canon = { (s: String) in s.lowercased().split(separator: " ").joined(separator: " ") }
        return canon(moves[ply - 1]) == canon(text)
    }

    private mutating func end(winner: String?, reason: String) {
        row.status = .finished
        row.resultWinner = winner
        row.resultReason = reason
        row.toMove = nil
        row.deadline = nil
        row.remindAt = nil
        drawOfferBy = nil
        conditionalLines = [:]
        takebackOfferBy = nil
    }

    /// What the rating of this (finished) match needs.
    var ratedEnding: RatedEnding { RatedEnding(game: rules.id, seats: row.seats, winner: row.resultWinner) }

    // MARK: starting

    /// Accepting a challenge starts the match; `creatorFirst` decides the seats when the
    /// challenger left the side to chance. (Blocks are checked by the caller, which can ask
    /// the players.)
    func accept(by player: String, now: Date, creatorFirst coin: Bool) throws(PlyError) -> MatchTransition {
        switch status {
        case .invited:
            guard player == row.invitee else { throw PlyError.forbidden("the challenge is for someone else") }
        case .open:
            guard player != row.creator else { throw PlyError.conflict("you cannot accept your own challenge") }
        case .active:
            throw PlyError.conflict("the challenge was already accepted")
        case .finished, .aborted:
            throw PlyError(.gameOver, "the challenge has ended")
        }
        let newcomer = status == .open ? player : nil
        let creatorFirst: Bool =
            switch settings.side {
            case .first: true
            case .second: false
            case .random: coin
            }
        let stamp = now.wholeSeconds
        var after = self
        after.row.seats = creatorFirst ? [row.creator, player] : [player, row.creator]
        if newcomer != nil { after.row.invitee = player }
        after.row.status = .active
        after.row.toMove = after.row.seats[position.sideToMove]
        after.row.deadline = stamp.addingTimeInterval(Double(settings.turnSeconds))
        Self.openClock(&after.row, settings: settings, now: stamp)
        after.row.updatedAt = stamp
        return MatchTransition(
            next: after, writes: [.updateMatch(after.row, newParticipant: newcomer)],
            publications: [after.startPublication], reply: after.startBody)
    }

    // MARK: endings without a move

    /// Ends the match `aborted`: a challenge withdrawn, declined or expired, or a match that
    /// never really started or that an operator stopped. Nobody wins and nothing is rated.
    func aborted(reason: String, now: Date) -> MatchTransition {
        var after = self
        after.row.status = .aborted
        after.row.resultWinner = nil
        after.row.resultReason = reason
        after.row.toMove = nil
        after.row.deadline = nil
        after.row.remindAt = nil
        after.row.updatedAt = now.wholeSeconds
        after.drawOfferBy = nil
        after.conditionalLines = [:]
        after.takebackOfferBy = nil
        // A withdrawn invitation leaves nothing for anyone away: its challenger withdrew it,
        // and its invitee never took it up (an invite-and-withdraw loop would otherwise leave
        // them a notification, and perhaps an email, each time).
        return after.ended(
            by: [.updateMatch(after.row, newParticipant: nil)], rating: nil, notify: participants,
            away: reason == "withdrawn" ? [] : participants)
    }

    /// Ends an active match with a result (a resignation, a timeout, an agreed draw, a forfeit).
    func finished(winner: String?, reason: String, now: Date) -> MatchTransition {
        var after = self
        after.end(winner: winner, reason: reason)
        after.row.updatedAt = now.wholeSeconds
        return after.ended(
            by: [.updateMatch(after.row, newParticipant: nil)], rating: isRated() ? after.ratedEnding : nil,
            notify: row.seats, away: row.seats)
    }

    /// The transition to this (ended) state: `EVENT end` to the players and watchers, and
    /// an `ended` notification to those of `away` who are not connected.
    private func ended(by writes: [CriticalWrite], rating: RatedEnding?, notify: [String], away: [String]) -> MatchTransition {
        let body: JSONObject = ["match": .string(id), "result": MatchJSON.result(row)]
        return MatchTransition(
            next: self, writes: writes, rating: rating,
            publications: [Publication(Event("end", body), to: notify, away: away.isEmpty ? nil : Away("ended", away))],
            reply: body)
    }

    func resign(by player: String, now: Date) throws(PlyError) -> MatchTransition {
        if status.isChallenge {
            guard player == row.creator || player == row.invitee else { throw PlyError.forbidden("not your challenge") }
            return aborted(reason: player == row.creator ? "withdrawn" : "declined", now: now)
        }
        guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        return finished(winner: row.seats.first { $0 != player }, reason: "resign", now: now)
    }

    func decline(by player: String, now: Date) throws(PlyError) -> MatchTransition {
        guard status.isChallenge else {
            if status.isOver { throw PlyError(.gameOver, "the match has ended") }
            throw PlyError.conflict("the challenge was already accepted")
        }
        guard player == row.invitee || player == row.creator else {
            throw PlyError.forbidden("only the invited player or the challenger may decline")
        }
        return aborted(reason: player == row.creator ? "withdrawn" : "declined", now: now)
    }

    /// The end of a match whose player to move missed the deadline, or nil when it is not
    /// overdue. A player who never made a first move does not lose: accepting a trap (a
    /// one-second clock while the challenger waits) costs nothing.
    func expired(now: Date) -> MatchTransition? {
        guard status == .active, let deadline = row.deadline, deadline <= now, let late = row.toMove,
            let seat = row.seats.firstIndex(of: late)
        else { return nil }
        guard movers.contains(seat) else { return aborted(reason: "no_start", now: now) }
        return finished(winner: row.seats.first { $0 != late }, reason: "timeout", now: now)
    }

    /// The player's account is going (deleted or banned): a challenge of theirs is withdrawn,
    /// one to them declined, an active match forfeited (the opponent wins). Nil when the
    /// match is over or not theirs.
    func forfeited(by player: String, now: Date) -> MatchTransition? {
        switch status {
        case .invited, .open:
            guard isParticipant(player) else { return nil }
            return aborted(reason: player == row.creator ? "withdrawn" : "declined", now: now)
        case .active:
            guard row.seats.contains(player) else { return nil }
            return finished(winner: row.seats.first { $0 != player }, reason: "forfeit", now: now)
        case .finished, .aborted:
            return nil
        }
    }

    /// A challenge withdrawn without its challenger asking (the invitee blocked them).
    func withdrawn(now: Date) -> MatchTransition? {
        status.isChallenge ? aborted(reason: "withdrawn", now: now) : nil
    }

    /// An operator stops the match: `aborted`, unrated.
    func stoppedByOperator(now: Date) throws(PlyError) -> MatchTransition {
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        return aborted(reason: "operator", now: now)
    }

    /// An open challenge made before `cutoff` that nobody took ends; nil otherwise.
    func staleOpenChallenge(before cutoff: Date, now: Date) -> MatchTransition? {
        status == .open && row.createdAt < cutoff ? aborted(reason: "expired", now: now) : nil
    }

    // MARK: draws

    func draw(by player: String, action: DrawAction, now: Date) throws(PlyError) -> MatchTransition {
        guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
        guard !status.isOver else { throw PlyError(.gameOver, "the match has ended") }
        guard status == .active else { throw PlyError.forbidden("the match has not started") }
        let opponent = row.seats.first { $0 != player } ?? player
        switch action {
        case .offer:
            if let by = drawOfferBy, by != player {
                return finished(winner: nil, reason: "agreement", now: now)  // both offered: agreed
            }
            if drawOfferBy == player {
                // Offered already: the opponent was told once, and is not told again.
                return MatchTransition(next: self, writes: [], publications: [], reply: ["match": .string(id), "offered": true])
            }
            var after = self
            after.drawOfferBy = player
            return MatchTransition(
                next: after, writes: [],
                publications: [Publication(Event("draw", ["match": .string(id), "by": .string(player)]), to: [opponent])],
                reply: ["match": .string(id), "offered": true])
        case .accept:
            guard let by = drawOfferBy, by != player else { throw PlyError.conflict("there is no draw offer to accept") }
            return finished(winner: nil, reason: "agreement", now: now)
        case .decline:
            guard let by = drawOfferBy, by != player else { throw PlyError.conflict("there is no draw offer to decline") }
            var after = self
            after.drawOfferBy = nil
            return MatchTransition(next: after, writes: [], publications: [], reply: ["match": .string(id), "declined": true])
        }
    }
}

/// What one request does to a match: the state after it, the writes that make it durable
/// (none for a change kept in memory, such as a draw offer), the rating of an ending, the
/// events to publish once committed, and the reply.
struct MatchTransition: Sendable {
    var next: MatchState
    var writes: [CriticalWrite]
    var rating: RatedEnding? = nil
    var publications: [Publication]
    var reply: JSONObject
}

/// A rated ending: who sat where and who won (nil: a draw).
struct RatedEnding: Sendable, Hashable {
    var game: String
    var seats: [String]
    var winner: String?
}

/// An event for some players of a match (each numbers it in their own sequence) and its
/// watchers; `except` is a connection that already has the news (the mover's, which gets
/// the reply); `away` names the players to notify if none of their connections is open.
struct Publication: Sendable {
    var event: Event
    var players: [String]
    var except: Int?
    var away: Away?

    init(_ event: Event, to players: [String], except: Int? = nil, away: Away? = nil) {
        self.event = event
        self.players = players
        self.except = except
        self.away = away
    }
}

/// Notifications left for players who are away when an event is published.
struct Away: Sendable, Hashable {
    var kind: String
    var players: [String]
    var turn: Int?
    init(_ kind: String, _ players: [String], turn: Int? = nil) {
        self.kind = kind
        self.players = players
        self.turn = turn
    }
}

/// The protocol's JSON for matches, built in one place: `MATCH`, `MATCHES`, replies and
/// events all share it.
enum MatchJSON {
    static let describeOrder = [
        "match", "game", "settings", "status", "players", "ply", "to_move", "moves", "position", "deadline", "result",
        "created_at", "updated_at",
    ]

    static func result(_ r: MatchRow) -> JSONValue {
        guard let reason = r.resultReason else { return .null }
        return ["winner": .optional(r.resultWinner), "reason": .string(reason)]
    }

    /// The players with their names and sides (no side before the match starts).
    static func players(_ r: MatchRow, rules: (any GameRules)?, names: [String: String]) -> JSONValue {
        let ids = r.seats.isEmpty ? [r.creator] + (r.invitee.map { [$0] } ?? []) : r.seats
        let seatNames = rules?.seatNames ?? []
        return .array(ids.enumerated().map { i, p in
            [
                "player": .string(p), "name": .string(names[p] ?? p),
                "side": r.seats.isEmpty || i >= seatNames.count ? .null : .string(seatNames[i]),
            ]
        })
    }

    /// The fields every listing of a match has (`MATCHES` shows exactly these).
    static func header(_ r: MatchRow, rules: (any GameRules)?, names: [String: String]) -> JSONObject {
        [
            "match": .string(r.id), "game": .string(r.game), "status": .string(r.status.rawValue),
            "players": players(r, rules: rules, names: names), "ply": .int(r.plyCount), "to_move": .optional(r.toMove),
            "deadline": .optional(r.deadline.map(Timestamp.rfc3339)), "result": result(r),
            "updated_at": .string(Timestamp.rfc3339(r.updatedAt)),
        ]
    }

    /// The reply to a move and the body of its event (without `move` and `by`).
    static func moveSummary(_ r: MatchRow) -> JSONObject {
        [
            "match": .string(r.id), "ply": .int(r.plyCount), "status": .string(r.status.rawValue),
            "to_move": .optional(r.toMove), "deadline": .optional(r.deadline.map(Timestamp.rfc3339)), "result": result(r),
        ]
    }

    /// `EVENT move`'s body: the summary with the move and its player, in the protocol's order.
    static func moveEvent(_ summary: JSONObject, move: String, by player: String) -> JSONObject {
        var o = JSONObject()
        o.reserveCapacity(summary.count + 2)
        for f in summary {
            o[f.key] = f.value
            if f.key == "ply" {
                o["move"] = .string(move)
                o["by"] = .string(player)
            }
        }
        return o
    }

    /// The fields in `order` first, then any others as they were.
    static func ordered(_ o: JSONObject, _ order: [String]) -> JSONObject {
        var out = JSONObject()
        for k in order where o[k] != nil { out[k] = o[k] }
        for f in o where out[f.key] == nil { out[f.key] = f.value }
        return out
    }
}

struct MatchReplayError: Error, CustomStringConvertible {
    var match: String
    var ply: Int
    var move: String
    var error: any Error
    var description: String { "match \(match) does not replay: ply \(ply) \"\(move)\": \(error)" }
}
