import Foundation
import Logging
import PlyJSON
import PlyProtocol
import PlyRules
import PlyStore
import Synchronization

/// One match in memory: the actor that owns its `MatchState`. Each request runs in an
/// exclusive section that asks the state for a transition, commits its writes (through the
/// rating desk when the ending is rated) and adopts the new state, so two devices racing for
/// one ply are answered one after the other and a failed commit leaves the match as it was.
/// Events are published after the section, in the order the sections committed.
public actor Match {
    public nonisolated let id: String
    let env: MatchEnvironment
    private(set) var state: MatchState
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []
    /// Publications committed but not yet delivered, oldest first, and whether a task is
    /// delivering them.
    private var outbox: [Publication] = []
    private var publishing = false
    private(set) var lastTouched: Date
    /// Set when the directory lets this actor go, or when a commit's outcome is unknown (the
    /// database may hold a change this actor does not); a request that still reaches it is
    /// sent back to the directory, which loads the match afresh from the database.
    private let retiredFlag = Atomic<Bool>(false)
    nonisolated var retired: Bool { retiredFlag.load(ordering: .acquiring) }

    init(_ state: MatchState, env: MatchEnvironment) {
        id = state.id
        self.state = state
        self.env = env
        lastTouched = env.now()
    }

    /// Retires the match if nothing uses it and it was last touched before `cutoff`.
    /// Everything about a match is durable after each change, so nothing is lost; its
    /// watchers are kept outside it (`Watchers`) and see it again when it comes back.
    func retireIfIdle(before cutoff: Date) -> Bool {
        guard !busy, queue.isEmpty, !publishing, outbox.isEmpty, lastTouched < cutoff else { return false }
        retiredFlag.store(true, ordering: .releasing)
        return true
    }

    // MARK: running transitions

    /// Runs one request: `decide` turns the current state into a transition (or nil: nothing
    /// to do), which is committed and adopted inside the exclusive section, then published.
    @discardableResult
    private func run(_ decide: (MatchState) async throws -> MatchTransition?) async throws -> JSONObject? {
        // An invitation that ended unanswered: its invitee's notification of it is taken back.
        var unansweredInvitee: String?
        let reply: JSONObject? = try await exclusive {
            guard var t = try await decide(state) else { return nil }
            if let ending = t.rating {
                try await commitRated(t.writes, ending)
            } else if !t.writes.isEmpty {
                try await commit(t.writes)
            }
            if state.status.isChallenge, !t.next.status.isChallenge {
                // The challenge no longer waits: its creator may make another.
                let r = state.row
                env.challenges.release(
                    creator: r.creator, invitee: r.status == .invited ? r.invitee : nil, game: r.game,
                    unanswered: t.next.status == .aborted, now: env.now().timeIntervalSince1970)
                if t.next.status == .aborted, r.status == .invited { unansweredInvitee = r.invitee }
            }
            if t.next.conditionalLines != state.conditionalLines { await tidyLines(from: state, to: t.next) }
            swap(&state, &t.next)  // adopted without a copy; the old state goes with `t`
            outbox.append(contentsOf: t.publications)
            return t.reply
        }
        await drainOutbox()
        if let invitee = unansweredInvitee, let player = try? await env.players.player(invitee) {
            _ = await player.markSeen(Player.noticeID(kind: "challenge", match: id))
        }
        return reply
    }

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
            throw failedCommit(error)
        }
    }

    /// A challenge's change of unknown outcome may have settled it: its creator's waiting
    /// challenges are read again from the database next time.
    private func forgetChallengesIfInDoubt(_ error: any Error) {
        guard state.status.isChallenge, StoreError.classify(error)?.code == .outcomeUnknown else { return }
        env.challenges.forget(state.row.creator)
    }

    private func commitRated(_ writes: [CriticalWrite], _ ending: RatedEnding) async throws {
        do {
            _ = try await env.ratings.commitEnding(writes, ending)
        } catch let e as PlyError {
            throw e
        } catch {
            throw failedCommit(error)
        }
    }

    /// A commit failed: `unavailable` for the client (`internal` if PostgreSQL refused it,
    /// which is a bug). When its outcome is unknown the change
    /// may be durable after all, so this actor, which no longer knows the match, retires;
    /// the next request reads the match as stored (a retried move is then a duplicate if it
    /// was kept, or is played if it was not).
    private func failedCommit(_ error: any Error) -> PlyError {
        env.logger.warning("commit failed", metadata: ["match": "\(id)", "error": "\(error)"])
        if StoreError.classify(error)?.code == .outcomeUnknown { retiredFlag.store(true, ordering: .releasing) }
        forgetChallengesIfInDoubt(error)
        return PlyError(failure: error)
    }

    // MARK: reading

    /// The whole match, as `MATCH` shows it.
    func describe() async -> JSONObject {
        lastTouched = env.now()
        let s = state
        return s.describe(names: await env.players.names(of: s.participants), now: env.now())
    }

    func isParticipant(_ player: String) -> Bool { state.isParticipant(player) }
    var isOpenChallenge: Bool { state.status == .open }

    /// The whole match for `reader`, who must be a player of it or one who may watch it.
    func describe(for reader: String) async throws -> JSONObject {
        try state.checkReader(reader)
        return await describe()
    }

    func legalMoves(for reader: String) throws(PlyError) -> [String] {
        try state.checkReader(reader)
        return try state.legalMoves()
    }

    // MARK: requests

    func move(by player: String, connection: Int, ply: Int, text: String) async throws -> JSONObject {
        var duplicate: JSONObject?
        let reply = try await run { s in
            switch try s.move(by: player, connection: connection, ply: ply, text: text, now: env.now()) {
            case .duplicate(let reply):
                duplicate = reply
                return nil
            case .played(let t):
                return t
            }
        }
        return reply ?? duplicate ?? [:]
    }

    func resign(by player: String) async throws -> JSONObject {
        try await run { try $0.resign(by: player, now: env.now()) } ?? [:]
    }

    func decline(by player: String) async throws -> JSONObject {
        try await run { try $0.decline(by: player, now: env.now()) } ?? [:]
    }

    func draw(by player: String, action: DrawAction) async throws -> JSONObject {
        try await run { try $0.draw(by: player, action: action, now: env.now()) } ?? [:]
    }

    /// Accepting a challenge starts the match. Players who blocked each other cannot meet
    /// through an open challenge.
    func accept(by player: String) async throws -> JSONObject {
        try await run { s in
            if s.status == .open, player != s.row.creator, try await env.players.blockedEitherWay(s.row.creator, player) {
                throw PlyError.forbidden("you cannot play \(s.row.creator)")
            }
            return try s.accept(by: player, now: env.now(), creatorFirst: Bool.random())
        } ?? [:]
    }

    /// Ends the match if the player to move missed the deadline.
    func expireIfOverdue() async throws {
        try await run { s in
            let t = s.expired(now: env.now())
            if t != nil { env.logger.info("turn deadline missed", metadata: ["match": "\(id)", "player": "\(s.row.toMove ?? "")"]) }
            return t
        }
    }

    /// Marks the reminder of the player to move sent, then stores their `deadline_soon`
    /// notification (committed first, so a turn is never reminded twice).
    func remindIfDue() async throws {
        var due: (player: String, turn: Int)?
        try await run { s in
            guard let t = s.reminded(now: env.now()), let player = s.row.toMove else { return nil }
            due = (player, s.row.plyCount + 1)
            return t
        }
        if let due, let player = try? await env.players.player(due.player) {
            await player.remind(match: id, turn: due.turn)
        }
    }

    /// The player goes on vacation from `start` until `until` (see `MatchState.paused`);
    /// returns the opponents to tell, or nil when the match is not an active one of theirs.
    /// `start` is the vacation's own, so every match moves by the same span however late
    /// this request reaches it.
    func pause(by player: String, from start: Date, until: Date) async throws -> [String]? {
        var opponents: [String]?
        try await run { s in
            guard let t = s.paused(by: player, until: until, now: start) else { return nil }
            opponents = s.row.seats.filter { $0 != player }
            return t
        }
        return opponents
    }

    /// The player's vacation ends early, at `end` (see `MatchState.resumed`); returns the
    /// opponents to tell, or nil when nothing changed.
    func resume(by player: String, at end: Date) async throws -> [String]? {
        var opponents: [String]?
        try await run { s in
            guard let t = s.resumed(by: player, now: end) else { return nil }
            opponents = s.row.seats.filter { $0 != player }
            return t
        }
        return opponents
    }

    /// The player's account is going: see `MatchState.forfeited`. Returns false when the
    /// match had already ended.
    @discardableResult
    func forfeit(by player: String) async throws -> Bool {
        try await run { $0.forfeited(by: player, now: env.now()) } != nil
    }

    /// A challenge withdrawn without its challenger asking (the invitee blocked them).
    func withdrawChallenge() async throws {
        try await run { $0.withdrawn(now: env.now()) }
    }

    /// An operator stops the match: `aborted`, unrated.
    func operatorAbort() async throws -> JSONObject {
        try await run { try $0.stoppedByOperator(now: env.now()) } ?? [:]
    }

    /// Ends an open challenge made before `cutoff`: nobody took it.
    func expireIfStale(before cutoff: Date) async throws {
        try await run { $0.staleOpenChallenge(before: cutoff, now: env.now()) }
    }

    /// A match made by automatch, already stored: its start goes to both players.
    func announceStart() async {
        outbox.append(state.startPublication)
        await drainOutbox()
    }

    // MARK: conditional lines and takebacks

    /// `CONDITIONAL`: lists, stores or drops the player's lines. A change is stored before the
    /// reply (one statement); when that fails this actor retires, since the table may hold
    /// the change, and the next request reads the lines as stored.
    func conditional(by player: String, action: ConditionalAction) async throws -> JSONObject {
        if case .list = action {
            if retired { throw MatchRetired() }
            return try state.conditionalListing(for: player)
        }
        let reply: JSONObject = try await exclusive {
            let next: MatchState
            switch action {
            case .list: next = state
            case .clear: next = try state.clearingLines(by: player)
            case .store(let ply, let moves): next = try state.storingLine(by: player, ply: ply, moves: moves)
            }
            // The same lines again (a retried request) write nothing.
            let lines = next.conditionalLines[player] ?? []
            if lines == state.conditionalLines[player] ?? [] { return try next.conditionalListing(for: player) }
            do {
                try await env.conditionals.storeConditionalLines(match: id, player: player, lines: lines.map(\.stored))
            } catch {
                env.logger.warning("conditional lines not stored", metadata: ["match": "\(id)", "error": "\(error)"])
                retiredFlag.store(true, ordering: .releasing)
                throw PlyError(failure: error)
            }
            state = next
            return try next.conditionalListing(for: player)
        }
        return reply
    }

    /// Stores the lines a transition used up or dropped. Best effort: the stored history
    /// decides which stored lines are live (`ConditionalLine.remaining`), so a line left
    /// behind is never played; this only keeps the table small.
    private func tidyLines(from old: MatchState, to new: MatchState) async {
        for player in Set(old.conditionalLines.keys).union(new.conditionalLines.keys)
        where old.conditionalLines[player] != new.conditionalLines[player] {
            do {
                try await env.conditionals.storeConditionalLines(
                    match: id, player: player, lines: (new.conditionalLines[player] ?? []).map(\.stored))
            } catch {
                env.logger.info("used conditional lines left stored", metadata: ["match": "\(id)", "error": "\(error)"])
            }
        }
    }

    func takeback(by player: String, action: DrawAction, connection: Int) async throws -> JSONObject {
        try await run { try $0.takeback(by: player, action: action, connection: connection, now: env.now()) } ?? [:]
    }

    // MARK: watching and chat

    func watch(connection: Int, player: String) throws {
        if retired { throw MatchRetired() }
        if try state.admitsWatcher(player) { env.watchers.add(id, connection: connection, player: player) }
    }

    /// Chat in two rooms: a player's line reaches the players and the watchers, a watcher's
    /// only the watchers. A line never reaches anyone who blocked its sender.
    func say(by player: String, connection: Int, text: String) async throws {
        if retired { throw MatchRetired() }
        // Seated: a challenge has no seats yet, so its challenger cannot talk into it (cheap
        // invitations would otherwise be a way onto a stranger's screen).
        let seated = state.row.seats.contains(player)
        guard seated || env.watchers.contains(id, connection: connection) else {
            if state.isParticipant(player) { throw PlyError.forbidden("the match has not started") }
            throw PlyError.forbidden("only players and watchers may chat in \(id)")
        }
        let room = seated ? "players" : "spectators"
        let event = NumberedEvent(
            Event("chat", ["match": .string(id), "by": .string(player), "text": .string(text), "room": .string(room)]))
        if seated {
            var seen: Set<String> = []
            for p in state.row.seats where seen.insert(p).inserted {
                if let recipient = try? await env.players.player(p) {
                    await recipient.deliver(event, from: player, to: .allExcept(connection))
                }
            }
        }
        for (c, p) in env.watchers.of(id) where c != connection {
            if let recipient = try? await env.players.player(p) { await recipient.deliver(event, from: player, to: .only(c)) }
        }
    }

    // MARK: publishing

    /// Delivers what is in the outbox, oldest first. One task delivers at a time; another
    /// that finds it busy leaves its publications to it, so events reach every connection in
    /// the order the changes were committed.
    private func drainOutbox() async {
        guard !publishing else { return }
        publishing = true
        while !outbox.isEmpty {
            await deliver(outbox.removeFirst())
        }
        publishing = false
    }

    /// Sends an event to the players (each numbers it in their own sequence) and the
    /// watchers; the players `away` names get a notification if they are away.
    private func deliver(_ p: Publication) async {
        let encoded = NumberedEvent(p.event)
        // Each player once (a match against oneself lists them twice).
        for (i, id) in p.players.enumerated() where !p.players[..<i].contains(id) {
            let notice = p.away.flatMap {
                $0.players.contains(id) ? Player.AwayNotice(kind: $0.kind, match: self.id, turn: $0.turn) : nil
            }
            if let player = try? await env.players.player(id) {
                await player.deliver(encoded, to: p.except.map { .allExcept($0) } ?? .all, notice: notice)
            }
        }
        for (c, watcher) in env.watchers.of(id) where c != p.except {
            if let player = try? await env.players.player(watcher) { await player.deliver(encoded, to: .only(c)) }
        }
    }
}

/// The match actor was let go between lookup and use; look it up again.
struct MatchRetired: Error {}
