import PlyProtocol
import Synchronization

/// The challenges each player has waiting: how many open ones, and to whom and in which
/// game their invitations go. It is read from PostgreSQL once per player (when they next
/// challenge) and kept as challenges are made and settled, so the per-player caps cost no
/// query per challenge. A player with nothing waiting is dropped, which bounds it by the
/// players with challenges out. It also counts the challenges each player made in the last
/// hour, in all and per invited player (in memory: a restart forgets them).
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
        var madePerHour: AttemptLimiter
        var invitedPerHour: AttemptLimiter
        /// Bumped by every release and forget, so a read from the database that a release
        /// overtook is not loaded over it.
        var generation: [String: Int] = [:]
    }
    private let state: Mutex<State>
    let limits: ChallengeLimits

    init(limits: ChallengeLimits) {
        self.limits = limits
        state = Mutex(
            State(
                madePerHour: AttemptLimiter(limit: limits.maximumChallengesPerHour, window: 3600),
                invitedPerHour: AttemptLimiter(limit: limits.maximumInvitationsPerOpponentPerHour, window: 3600)))
    }

    static func invitation(_ invitee: String, _ game: String) -> String { invitee + " " + game }

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
            guard s.madePerHour.allows(creator, now: now) else {
                return .refused(PlyError(.rateLimited, "at most \(limits.maximumChallengesPerHour) challenges an hour"))
            }
            let pair = invitee.map { creator + " " + $0 }
            if let pair, !s.invitedPerHour.allows(pair, now: now) {
                return .refused(
                    PlyError(
                        .rateLimited, "at most \(limits.maximumInvitationsPerOpponentPerHour) invitations an hour to one player"))
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
            s.madePerHour.record(creator, now: now)
            if let pair { s.invitedPerHour.record(pair, now: now) }
            return .reserved
        }
    }

    /// A challenge left the waiting state (accepted, declined, withdrawn, expired), or was
    /// never made after all.
    func release(creator: String, invitee: String?, game: String) {
        state.withLock { s in
            s.generation[creator, default: 0] += 1
            guard var p = s.byCreator[creator] else { return }
            if let invitee { p.invitations.remove(Self.invitation(invitee, game)) } else { p.open = max(0, p.open - 1) }
            s.byCreator[creator] = p.isEmpty ? nil : p
        }
    }
}
