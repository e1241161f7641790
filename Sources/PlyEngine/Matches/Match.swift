import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore
import Synchronization

/// One match in memory. It alone decides what happens to the match: every change runs
/// in an exclusive section that spans the commit, so two devices racing for one ply are
/// answered one after the other, and a failed commit leaves the match as it was.
public actor Match {
    public nonisolated let id: String
    let rules: any GameRules
    let settings: MatchSettings
    let env: MatchEnvironment

    private(set) var row: MatchRow
    private var state: GameState
    /// The position before the last ply, to recognise a retried last move in any spelling.
    private var previous: GameState?
    private var moves: [String]
    /// The seat that played each ply, for duplicates (a retried move is only its own mover's)
    /// and fair play (a player who never moved does not lose on time, and is not rated).
    private var movers: [Int]
    private var drawOfferBy: String?
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []
    private(set) var lastTouched: Date
    /// Set when the directory lets this actor go, or when a commit's outcome is unknown (the
    /// database may hold a change this actor does not); a request that still reaches it is
    /// sent back to the directory, which loads the match afresh from the database.
    private let retiredFlag = Atomic<Bool>(false)
    nonisolated var retired: Bool { retiredFlag.load(ordering: .acquiring) }

    init(row: MatchRow, rules: any GameRules, settings: MatchSettings, plies: [String], env: MatchEnvironment) throws {
        id = row.id
        self.row = row
        self.rules = rules
        self.settings = settings
        self.env = env
        var s = try GameState(game: rules, settings: settings.game)
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
        state = s
        previous = prev
        moves = recorded
        movers = seats
        lastTouched = env.now()
    }

    /// Retires the match if nothing uses it and it was last touched before `cutoff`.
    /// Everything about a match is durable after each change, so nothing is lost; its
    /// watchers are kept outside it (`Watchers`) and see it again when it comes back.
    func retireIfIdle(before cutoff: Date) -> Bool {
        guard !busy, queue.isEmpty, lastTouched < cutoff else { return false }
        retiredFlag.store(true, ordering: .releasing)
        return true
    }

    // MARK: exclusive sections

    private func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { queue.append($0) } }
        if retired {
            // Back to the directory, and so is everyone queued behind (each wakes the next).
            if !queue.isEmpty { queue.removeFirst().resume() }
            throw MatchRetired()
        }
        busy = true
        lastTouched = env.now()
        defer {
            busy = false
            if !queue.isEmpty { queue.removeFirst().resume() }
        }
        return try await body()
    }

    private func commit(_ writes: [CriticalWrite]) async throws {
        do {
            try await env.writer.commit(writes)
        } catch {
            env.logger.warning("commit failed", metadata: ["match": "\(id)", "error": "\(error)"])
            if (error as? CommitFailure)?.outcomeUnknown == true {
                // The change may be durable after all. This actor no longer knows the match, so
                // it retires; the next request reads the match as stored (a retried move is
                // then a duplicate if it was kept, or is played if it was not).
                retiredFlag.store(true, ordering: .releasing)
            }
            throw PlyError.unavailable()
        }
    }

    // MARK: reading

    var isFinished: Bool { row.status == "finished" || row.status == "aborted" }

    func resultJSON(_ r: MatchRow) -> JSONValue {
        guard let reason = r.resultReason else { return .null }
        return ["winner": .optional(r.resultWinner), "reason": .string(reason)]
    }

    func seatName(of player: String) -> String? {
        row.seats.firstIndex(of: player).map { rules.seatNames[$0] }
    }

    /// The whole match, as `MATCH` shows it.
    func describe() async -> JSONObject {
        lastTouched = env.now()
        var players: [JSONValue] = []
        let ids = participants
        let names = await env.players.names(of: ids)
        for (i, p) in ids.enumerated() {
            let name = names[p] ?? p
            players.append([
                "player": .string(p), "name": .string(name),
                "side": row.seats.isEmpty ? .null : .string(rules.seatNames[i]),
            ])
        }
        var o: JSONObject = [
            "match": .string(id), "game": .string(rules.id), "settings": .object(settings.json(rules: rules)),
            "status": .string(row.status), "players": .array(players), "ply": .int(moves.count),
            "to_move": .optional(row.toMove), "moves": .array(moves.map { .string($0) }),
            "position": .string(state.describe()),
            "deadline": .optional(row.deadline.map(Timestamp.rfc3339)), "result": resultJSON(row),
            "created_at": .string(Timestamp.rfc3339(row.createdAt)), "updated_at": .string(Timestamp.rfc3339(row.updatedAt)),
        ]
        for f in state.extras() { o[f.key] = f.value }
        if row.status == "active" { o["draw_offer_by"] = .optional(drawOfferBy) }
        return o
    }

    func legalMoves() throws(PlyError) -> [String] {
        guard row.status == "active" else {
            if isFinished { throw PlyError(.gameOver, "the match has ended") }
            throw PlyError.forbidden("the match has not started")
        }
        return state.legalMoves()
    }

    // MARK: moves

    /// The reply and event body for a move.
    private func moveSummary() -> JSONObject {
        [
            "match": .string(id), "ply": .int(moves.count), "status": .string(row.status),
            "to_move": .optional(row.toMove), "deadline": .optional(row.deadline.map(Timestamp.rfc3339)),
            "result": resultJSON(row),
        ]
    }

    func move(by player: String, connection: Int, ply: Int, text: String) async throws -> JSONObject {
        try await exclusive {
            guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
            let count = moves.count
            if ply <= count {
                if isDuplicate(ply: ply, text: text, by: player) {
                    var o = moveSummary()
                    o["ply"] = .int(ply)
                    o["duplicate"] = true
                    return o
                }
                throw PlyError(.stalePly, "ply \(ply) was already played; the next ply is \(count + 1)")
            }
            guard !isFinished else { throw PlyError(.gameOver, "the match has ended") }
            guard row.status == "active" else { throw PlyError.forbidden("the match has not started") }
            guard ply == count + 1 else { throw PlyError(.stalePly, "the next ply is \(count + 1)") }
            let mover = row.seats[state.sideToMove]
            guard mover == player else { throw PlyError(.notYourTurn, "the match is waiting for \(mover)") }
            let next: GameState
            let notation: String
            switch Result(catching: { () throws(RuleError) in try state.applying(text) }) {
            case .success(let r): (next, notation) = r
            case .failure(let e): throw PlyError(.illegalMove, "\(e.rule): \(e.message)")
            }
            let now = env.now().wholeSeconds
            var r = row
            r.plyCount = count + 1
            r.updatedAt = now
            var writes: [CriticalWrite] = [.ply(PlyRow(match: id, ply: count + 1, move: notation, playedAt: now))]
            switch next.outcome {
            case .ongoing:
                r.toMove = r.seats[next.sideToMove]
                r.deadline = now.addingTimeInterval(Double(settings.turnSeconds))
            case .win(let seat, _):
                end(&r, winner: r.seats[seat], reason: "rules")
            case .draw:
                end(&r, winner: nil, reason: "draw")
            }
            let ending = r.status == "finished"
            writes.append(.updateMatch(r, newParticipant: nil))
            if ending {
                _ = try await commitEnding(r, with: writes, rated: isRated(movedToo: state.sideToMove))
            } else {
                try await commit(writes)
            }

            movers.append(state.sideToMove)
            previous = state
            state = next
            moves.append(notation)
            row = r
            drawOfferBy = nil
            var event = moveSummary()
            event["move"] = .string(notation)
            event["by"] = .string(player)
            let away: Away? =
                ending ? Away("ended", r.seats) : r.toMove.map { Away("your_turn", [$0], turn: r.plyCount + 1) }
            await publish(Event("move", reordered(event)), toPlayers: r.seats, exceptConnection: connection, away: away)
            event["move"] = nil
            event["by"] = nil
            return event
        }
    }

    /// Field order as the protocol documents `EVENT move`.
    private func reordered(_ e: JSONObject) -> JSONObject {
        var o = JSONObject()
        for k in ["match", "ply", "move", "by", "status", "to_move", "deadline", "result"] { o[k] = e[k] }
        return o
    }

    private func isDuplicate(ply: Int, text: String, by player: String) -> Bool {
        guard row.seats.indices.contains(movers[ply - 1]), row.seats[movers[ply - 1]] == player else { return false }
        if ply == moves.count, let previous, row.seats[previous.sideToMove] == player,
            let (_, n) = try? previous.applying(text)
        {
            return n == moves[ply - 1]
        }
        // Older plies: the recorded notation, compared without regard to case or spacing.
        let canon = { (s: String) in s.lowercased().split(separator: " ").joined(separator: " ") }
        return canon(moves[ply - 1]) == canon(text)
    }

    private func end(_ r: inout MatchRow, winner: String?, reason: String) {
        r.status = "finished"
        r.resultWinner = winner
        r.resultReason = reason
        r.toMove = nil
        r.deadline = nil
    }

    // MARK: endings without a move

    func resign(by player: String) async throws -> JSONObject {
        try await exclusive {
            if row.status == "invited" || row.status == "open" {
                guard player == row.creator || player == row.invitee else { throw PlyError.forbidden("not your challenge") }
                return try await abort(reason: player == row.creator ? "withdrawn" : "declined")
            }
            guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
            guard !isFinished else { throw PlyError(.gameOver, "the match has ended") }
            let winner = row.seats.first { $0 != player }
            return try await finish(winner: winner, reason: "resign")
        }
    }

    func decline(by player: String) async throws -> JSONObject {
        try await exclusive {
            guard row.status == "invited" || row.status == "open" else {
                if isFinished { throw PlyError(.gameOver, "the match has ended") }
                throw PlyError.conflict("the challenge was already accepted")
            }
            guard player == row.invitee || player == row.creator else {
                throw PlyError.forbidden("only the invited player or the challenger may decline")
            }
            return try await abort(reason: player == row.creator ? "withdrawn" : "declined")
        }
    }

    /// Ends the match `aborted`: a challenge withdrawn, declined or expired, or a match that
    /// never really started or that an operator stopped. Nobody wins and nothing is rated.
    private func abort(reason: String) async throws -> JSONObject {
        var r = row
        r.status = "aborted"
        r.resultWinner = nil
        r.resultReason = reason
        r.toMove = nil
        r.deadline = nil
        r.updatedAt = env.now().wholeSeconds
        try await commit([.updateMatch(r, newParticipant: nil)])
        row = r
        drawOfferBy = nil
        let body: JSONObject = ["match": .string(id), "result": resultJSON(r)]
        let involved = participants
        await publish(Event("end", body), toPlayers: involved, exceptConnection: nil, away: Away("ended", involved))
        return body
    }

    private func finish(winner: String?, reason: String) async throws -> JSONObject {
        var r = row
        end(&r, winner: winner, reason: reason)
        r.updatedAt = env.now().wholeSeconds
        _ = try await commitEnding(r, with: [.updateMatch(r, newParticipant: nil)], rated: isRated(movedToo: nil))
        row = r
        drawOfferBy = nil
        let body: JSONObject = ["match": .string(id), "result": resultJSON(r)]
        await publish(Event("end", body), toPlayers: r.seats, exceptConnection: nil, away: Away("ended", r.seats))
        return body
    }

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
    private func isRated(movedToo seat: Int?) -> Bool {
        var moved = Set(movers)
        if let seat { moved.insert(seat) }
        return settings.rated && row.seats.indices.allSatisfy { moved.contains($0) }
    }

    /// Whether the player in `seat` has made a move in this match.
    private func hasMoved(seat: Int) -> Bool { movers.contains(seat) }

    /// The player's account is going (deleted or banned): a challenge of theirs is withdrawn,
    /// one to them declined, an active match forfeited (the opponent wins). Returns false
    /// when the match had already ended.
    @discardableResult
    func forfeit(by player: String) async throws -> Bool {
        try await exclusive {
            switch row.status {
            case "invited", "open":
                guard isParticipant(player) else { return false }
                _ = try await abort(reason: player == row.creator ? "withdrawn" : "declined")
            case "active":
                guard row.seats.contains(player) else { return false }
                _ = try await finish(winner: row.seats.first { $0 != player }, reason: "forfeit")
            default:
                return false
            }
            return true
        }
    }

    /// A challenge withdrawn without its challenger asking (the invitee blocked them).
    func withdrawChallenge() async throws {
        try await exclusive {
            guard row.status == "invited" || row.status == "open" else { return }
            _ = try await abort(reason: "withdrawn")
        }
    }

    /// An operator stops the match: `aborted`, unrated.
    func operatorAbort() async throws -> JSONObject {
        try await exclusive {
            guard !isFinished else { throw PlyError(.gameOver, "the match has ended") }
            return try await abort(reason: "operator")
        }
    }

    /// Ends an open challenge made before `cutoff`: nobody took it.
    func expireIfStale(before cutoff: Date) async throws {
        try await exclusive {
            guard row.status == "open", row.createdAt < cutoff else { return }
            _ = try await abort(reason: "expired")
        }
    }

    /// Ends the match if the player to move missed the deadline.
    func expireIfOverdue() async throws {
        try await exclusive {
            guard row.status == "active", let deadline = row.deadline, deadline <= env.now(), let late = row.toMove,
                let seat = row.seats.firstIndex(of: late)
            else { return }
            env.logger.info("turn deadline missed", metadata: ["match": "\(id)", "player": "\(late)"])
            // A player who never made a first move does not lose: accepting a trap (a one-second
            // clock while the challenger waits) costs nothing.
            if !hasMoved(seat: seat) {
                _ = try await abort(reason: "no_start")
            } else {
                _ = try await finish(winner: row.seats.first { $0 != late }, reason: "timeout")
            }
        }
    }

    func draw(by player: String, action: DrawAction) async throws -> JSONObject {
        try await exclusive {
            guard row.seats.contains(player) else { throw PlyError.forbidden("you are not playing in \(id)") }
            guard !isFinished else { throw PlyError(.gameOver, "the match has ended") }
            guard row.status == "active" else { throw PlyError.forbidden("the match has not started") }
            let opponent = row.seats.first { $0 != player } ?? player
            switch action {
            case .offer:
                if let by = drawOfferBy, by != player {
                    return try await finish(winner: nil, reason: "agreement")  // both offered: agreed
                }
                drawOfferBy = player
                await publish(Event("draw", ["match": .string(id), "by": .string(player)]), toPlayers: [opponent], exceptConnection: nil)
                return ["match": .string(id), "offered": true]
            case .accept:
                guard let by = drawOfferBy, by != player else { throw PlyError.conflict("there is no draw offer to accept") }
                return try await finish(winner: nil, reason: "agreement")
            case .decline:
                guard let by = drawOfferBy, by != player else { throw PlyError.conflict("there is no draw offer to decline") }
                drawOfferBy = nil
                return ["match": .string(id), "declined": true]
            }
        }
    }

    // MARK: starting

    /// Accepting a challenge starts the match.
    func accept(by player: String) async throws -> JSONObject {
        try await exclusive {
            switch row.status {
            case "invited":
                guard player == row.invitee else { throw PlyError.forbidden("the challenge is for someone else") }
            case "open":
                guard player != row.creator else { throw PlyError.conflict("you cannot accept your own challenge") }
                guard try await !env.players.blockedEitherWay(row.creator, player) else {
                    throw PlyError.forbidden("you cannot play \(row.creator)")
                }
            case "active":
                throw PlyError.conflict("the challenge was already accepted")
            default:
                throw PlyError(.gameOver, "the challenge has ended")
            }
            let newcomer = row.status == "open" ? player : nil
            var r = row
            let creatorFirst: Bool =
                switch settings.side {
                case .first: true
                case .second: false
                case .random: Bool.random()
                }
            r.seats = creatorFirst ? [row.creator, player] : [player, row.creator]
            if newcomer != nil { r.invitee = player }
            r.status = "active"
            let now = env.now().wholeSeconds
            r.toMove = r.seats[state.sideToMove]
            r.deadline = now.addingTimeInterval(Double(settings.turnSeconds))
            r.updatedAt = now
            try await commit([.updateMatch(r, newParticipant: newcomer)])
            row = r
            await announceStart()
            return startBody()
        }
    }

    func startBody() -> JSONObject {
        let players: [JSONValue] = row.seats.enumerated().map { i, p in
            ["player": .string(p), "side": .string(rules.seatNames[i])]
        }
        return [
            "match": .string(id), "game": .string(rules.id), "players": .array(players),
            "to_move": .optional(row.toMove), "deadline": .optional(row.deadline.map(Timestamp.rfc3339)),
        ]
    }

    func announceStart() async {
        await publish(
            Event("start", startBody()), toPlayers: row.seats, exceptConnection: nil,
            away: row.toMove.map { Away("your_turn", [$0], turn: 1) })
    }

    // MARK: watching and chat

    /// Watching: open, automatch and finished matches, and invitations made `public`. A
    /// player of the match already gets its events and is not added as a watcher.
    func watch(connection: Int, player: String) throws {
        if retired { throw MatchRetired() }
        if isParticipant(player) { return }
        guard isFinished || row.status == "open" || settings.isPublic == true else {
            throw PlyError.forbidden("match \(id) is private")
        }
        env.watchers.add(id, connection: connection, player: player)
    }

    /// Chat in two rooms: a player's line reaches the players and the watchers, a watcher's
    /// only the watchers. A line never reaches anyone who blocked its sender.
    func say(by player: String, connection: Int, text: String) async throws {
        if retired { throw MatchRetired() }
        let seated = isParticipant(player)
        guard seated || env.watchers.contains(id, connection: connection) else {
            throw PlyError.forbidden("only players and watchers may chat in \(id)")
        }
        let room = seated ? "players" : "spectators"
        let event = NumberedEvent(
            Event("chat", ["match": .string(id), "by": .string(player), "text": .string(text), "room": .string(room)]))
        if seated {
            var seen: Set<String> = []
            for p in participants where seen.insert(p).inserted {
                if let recipient = try? await env.players.player(p) {
                    await recipient.deliver(event, from: player, to: .allExcept(connection))
                }
            }
        }
        for (c, p) in env.watchers.of(id) where c != connection {
            if let recipient = try? await env.players.player(p) { await recipient.deliver(event, from: player, to: .only(c)) }
        }
    }

    // MARK: events and ratings

    /// Sends to every connection of the given players (but one) and to the watchers, each
    /// numbered in its player's sequence.
    /// Notifications left for players who are away when an event is published.
    struct Away {
        var kind: String
        var players: [String]
        var turn: Int?
        init(_ kind: String, _ players: [String], turn: Int? = nil) {
            self.kind = kind
            self.players = players
            self.turn = turn
        }
    }

    /// Sends an event to the players (each numbers it in their own sequence) and the
    /// watchers; with `away`, the players it names get a notification if they are away.
    private func publish(_ event: Event, toPlayers ids: [String], exceptConnection: Int?, away: Away? = nil) async {
        let encoded = NumberedEvent(event)
        var seen: Set<String> = []
        for p in ids where seen.insert(p).inserted {
            let notice = away.flatMap { $0.players.contains(p) ? Player.AwayNotice(kind: $0.kind, match: id, turn: $0.turn) : nil }
            if let player = try? await env.players.player(p) {
                await player.deliver(encoded, to: exceptConnection.map { .allExcept($0) } ?? .all, notice: notice)
            }
        }
        for (c, p) in env.watchers.of(id) where c != exceptConnection {
            if let player = try? await env.players.player(p) { await player.deliver(encoded, to: .only(c)) }
        }
    }

    /// Ends the match in the database with both players' new stats and Glicko-2 ratings.
    /// Each player's stats are held from the read to the commit, so two matches of one
    /// player ending at once are rated one after the other: neither result is lost. The
    /// holds are taken in player-id order, so two endings never wait on each other in a
    /// circle.
    private func commitEnding(_ r: MatchRow, with writes: [CriticalWrite], rated: Bool) async throws -> [StatsRow] {
        guard rated, r.seats.count == 2, r.seats[0] != r.seats[1] else {
            try await commit(writes)
            return []
        }
        // Both players' stats are read (and held) before anything is written: rating from
        // defaults because a player could not be read would overwrite their stored record.
        var held: [String: Player] = [:]
        var rows: [StatsRow] = []
        do {
            for id in r.seats.sorted() {
                guard let p = try await env.players.player(id) else { continue }
                await p.holdStats()
                held[id] = p
            }
            for id in r.seats {
                rows.append(try await held[id]?.statsForRating(rules.id) ?? StatsRow(player: id, game: rules.id))
            }
        } catch {
            for p in held.values { await p.releaseStats(applying: nil) }
            env.logger.warning("ending not rated: a player could not be read", metadata: ["match": "\(id)", "error": "\(error)"])
            throw PlyError.unavailable()
        }
        let score: GameScore = r.resultWinner == nil ? .draw : (r.resultWinner == r.seats[0] ? .win : .loss)
        let (a, b) = Glicko2().afterMatch(rows[0].glicko, rows[1].glicko, scoreOfA: score)
        rows[0].record(score, rating: a)
        rows[1].record(score == .draw ? .draw : (score == .win ? .loss : .win), rating: b)
        do {
            try await commit(writes + rows.map { .stats($0) })
        } catch {
            // `retired` here (inside an exclusive section) means the commit's outcome is unknown.
            for p in held.values { await p.releaseStats(applying: nil, inDoubt: retired ? rules.id : nil) }
            throw error
        }
        for row in rows { await held[row.player]?.releaseStats(applying: row) }
        return rows
    }
}

/// The match actor was let go between lookup and use; look it up again.
struct MatchRetired: Error {}

struct MatchReplayError: Error, CustomStringConvertible {
    var match: String
    var ply: Int
    var move: String
    var error: RuleError
    var description: String { "match \(match) does not replay: ply \(ply) \"\(move)\": \(error)" }
}

extension StatsRow {
    var glicko: Rating { Rating(rating: rating, deviation: deviation, volatility: volatility) }

    mutating func record(_ score: GameScore, rating r: Rating) {
        played += 1
        switch score {
        case .win: won += 1
        case .loss: lost += 1
        case .draw: drawn += 1
        }
        rating = r.rating
        deviation = r.deviation
        volatility = r.volatility
    }
}
