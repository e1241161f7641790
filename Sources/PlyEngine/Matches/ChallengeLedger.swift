import PlyProtocol
import Synchronization

/// The challenges each player has waiting: how many open ones, and to whom and in which
/// game their invitations go. It is read from PostgreSQL once per player (when they next
/// challenge) and kept as challenges are made and settled, so the per-player caps cost no
/// query per challenge. A player with nothing waiting is dropped, which bounds it by the
/// players with challenges out.
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

    private let byCreator = Mutex<[String: Pending]>([:])
    let limits: ChallengeLimits

    init(limits: ChallengeLimits) { self.limits = limits }

    static func invitation(_ invitee: String, _ game: String) -> String { invitee + " " + game }

    /// What was read from the database, unless newer figures are held already.
    func load(_ creator: String, _ pending: Pending) {
        byCreator.withLock { all in if all[creator] == nil { all[creator] = pending } }
    }

    /// Counts a challenge about to be made, or says why it may not be.
    func reserve(creator: String, invitee: String?, game: String) -> Reservation {
        byCreator.withLock { all in
            guard var p = all[creator] else { return .unknown }
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
            all[creator] = p
            return .reserved
        }
    }

    /// A challenge left the waiting state (accepted, declined, withdrawn, expired), or was
    /// never made after all.
    func release(creator: String, invitee: String?, game: String) {
        byCreator.withLock { all in
            guard var p = all[creator] else { return }
            if let invitee { p.invitations.remove(Self.invitation(invitee, game)) } else { p.open = max(0, p.open - 1) }
            all[creator] = p.isEmpty ? nil : p
        }
    }
}
