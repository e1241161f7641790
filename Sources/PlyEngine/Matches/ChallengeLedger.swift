import PlyProtocol
import Synchronization

/// The challenges each player has waiting: how many open ones, and to whom and in which
/// game their invitations go. It is read from PostgreSQL once per player (when they next
/// challenge) and kept as challenges are made and settled, so the per-player caps cost no
/// query per challenge. A player with nothing waiting is dropped, which bounds it by the
/// players with challenges out. It also counts each player's challenges that ended
/// unanswered (withdrawn, declined, expired) in the last hour, in all and per invited
/// player: a loop of inviting and withdrawing is limited, rematches of games played are not
/// (in memory: a restart forgets them).
final class ChallengeLedger: Sendable {
    struct Pending: Sendable, Hashable {
        var open = 0
        /// `invitee game` of each invitation waiting.
        var invitations: Set<String> = []
        var isEmpty: Bool { open == 0 && invitations.isEmpty }
    }

    enum Reservation: Sendable, Equatable {
        case reserved
        case refused(PlyError)
        /// The player's challenges have not been read yet: `load` them and ask again.
        case unknown
    }

    private struct State {
        var byCreator: [String: Pending] = [:]
        /// Nil when the limit is 0 (off).
        var unansweredPerHour: AttemptLimiter?
        var unansweredPerPairPerHour: AttemptLimiter?
        /// Bumped by every release and forget, so a read from the database that a release
        /// overtook is not loaded over it.
        var generation: [String: Int] = [:]
        /// Requests being made now whose result a cap counts once stored, by key
        /// (`to <invitee>`: invitations to a player; `start <player>`: matches a player takes).
        var inFlight: [String: Int] = [:]
    }
    private let state: Mutex<State>
    let limits: ChallengeLimits

    init(limits: ChallengeLimits) {
        self.limits = limits
        func hourly(_ limit: Int) -> AttemptLimiter? { limit > 0 ? AttemptLimiter(limit: limit, window: 3600) : nil }
        state = Mutex(
            State(
                unansweredPerHour: hourly(limits.maximumChallengesPerHour),
                unansweredPerPairPerHour: hourly(limits.maximumInvitationsPerOpponentPerHour)))
    }

    static func invitation(_ invitee: String, _ game: String) -> String { invitee + " " + game }

    /// A request under a cap on what is stored (`key`) is being made: returns how many others
    /// under it were in flight, taken before the caller reads the stored count. Each request
    /// is then counted by the read (stored before it), by this figure (in flight at it), or
    /// sees this one in its own figure (started after it), so requests at once cannot all
    /// pass a cap that each read alone. Call `done` when the request has ended either way.
    func starting(_ key: String) -> Int {
        state.withLock { s in
            defer { s.inFlight[key, default: 0] += 1 }
            return s.inFlight[key, default: 0]
        }
    }

    func done(_ key: String) {
        state.withLock { s in
            let n = s.inFlight[key, default: 1] - 1
            s.inFlight[key] = n > 0 ? n : nil
        }
    }

    /// Where the player's figures stand before a read from the database; `load` takes the
    /// read only if nothing was released meanwhile.
    func readStarting(_ creator: String) -> Int {
        state.withLock { $0.generation[creator, default: 0] }
    }

    /// What was read from the database, unless figures are held already or a release came
    /// while it was read (then the read may hold a challenge that is gone: read again).
    /// Returns whether it was taken.
    @discardableResult
    func load(_ creator: String, _ pending: Pending, readAt generation: Int) -> Bool {
        state.withLock { s in
            guard s.generation[creator, default: 0] == generation else { return false }
            if s.byCreator[creator] == nil { s.byCreator[creator] = pending }
            return true
        }
    }

    /// Lets go of what is held for the player (a commit of unknown outcome touched their
    /// challenges): the next challenge reads them from the database.
    func forget(_ creator: String) {
        state.withLock { s in
            s.byCreator[creator] = nil
            s.generation[creator, default: 0] += 1
        }
    }

    /// Counts a challenge about to be made at `now` (seconds), or says why it may not be.
    func reserve(creator: String, invitee: String?, game: String, now: Double) -> Reservation {
        state.withLock { s in
            guard var p = s.byCreator[creator] else { return .unknown }
            if s.unansweredPerHour?.allows(creator, now: now) == false {
                return .refused(
                    PlyError(
                        .rateLimited, "at most \(limits.maximumChallengesPerHour) challenges an hour may end unanswered"))
            }
            if let invitee, s.unansweredPerPairPerHour?.allows(Self.pair(creator, invitee), now: now) == false {
                return .refused(
                    PlyError(
                        .rateLimited,
                        "at most \(limits.maximumInvitationsPerOpponentPerHour) invitations an hour to one player may end unanswered"))
            }
            if let invitee {
                let key = Self.invitation(invitee, game)
                guard !p.invitations.contains(key) else {
                    return .refused(PlyError(.rateLimited, "you have invited \(invitee) to \(game) already; wait for an answer"))
                }
                guard p.invitations.count < limits.maximumPendingInvitations else {
                    return .refused(
                        PlyError(.rateLimited, "at most \(limits.maximumPendingInvitations) invitations may wait for an answer"))
                }
                p.invitations.insert(key)
            } else {
                guard p.open < limits.maximumOpenChallenges else {
                    return .refused(PlyError(.rateLimited, "at most \(limits.maximumOpenChallenges) open challenges at once"))
                }
                p.open += 1
            }
            s.byCreator[creator] = p
            return .reserved
        }
    }

    static func pair(_ creator: String, _ invitee: String) -> String { creator + " " + invitee }

    /// A challenge left the waiting state (accepted, declined, withdrawn, expired), or was
    /// never made after all; `unanswered` when it ended without a game (counted for the hour).
    func release(creator: String, invitee: String?, game: String, unanswered: Bool = false, now: Double = 0) {
        state.withLock { s in
            if unanswered {
                s.unansweredPerHour?.record(creator, now: now)
                if let invitee { s.unansweredPerPairPerHour?.record(Self.pair(creator, invitee), now: now) }
            }
            s.generation[creator, default: 0] += 1
            guard var p = s.byCreator[creator] else { return }
            if let invitee { p.invitations.remove(Self.invitation(invitee, game)) } else { p.open = max(0, p.open - 1) }
            s.byCreator[creator] = p.isEmpty ? nil : p
        }
    }
}
