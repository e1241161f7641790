import PlyProtocol
import Testing

@testable import PlyEngine

/// The ledger of challenges waiting: the caps, and a challenge settled freeing its place.
@Suite struct ChallengeLedgerTests {
    static func ledger() -> ChallengeLedger {
        ChallengeLedger(limits: ChallengeLimits(maximumOpenChallenges: 2, maximumPendingInvitations: 2))
    }

    @Test func aPlayerNotReadYetIsUnknown() {
        let l = Self.ledger()
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .unknown)
        l.load("ann", .init(), readAt: l.readStarting("ann"))
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
    }

    @Test func capsHoldAndSettledChallengesFreeTheirPlace() {
        let l = Self.ledger()
        l.load("ann", .init(open: 1, invitations: [ChallengeLedger.invitation("bo", "hive")]), readAt: 0)
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
        guard case .refused(let open) = l.reserve(creator: "ann", invitee: nil, game: "reversi") else {
            Issue.record("a third open challenge")
            return
        }
        #expect(open.code == .rateLimited)
        guard case .refused(let twice) = l.reserve(creator: "ann", invitee: "bo", game: "hive") else {
            Issue.record("a second invitation to bo in hive")
            return
        }
        #expect(twice.message.contains("already"))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "khet") == .reserved)
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "khet") != .reserved, "two invitations wait already")
        l.release(creator: "ann", invitee: "bo", game: "hive")
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "khet") == .reserved)
        l.release(creator: "ann", invitee: nil, game: "reversi")
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
    }

    @Test func aPlayerWithNothingWaitingIsDroppedAndLoadsNoStaleFigures() {
        let l = Self.ledger()
        l.load("ann", .init(), readAt: l.readStarting("ann"))
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
        l.release(creator: "ann", invitee: nil, game: "reversi")
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .unknown, "read again next time")
        l.load("ann", .init(open: 2), readAt: l.readStarting("ann"))
        l.load("ann", .init(open: 0), readAt: l.readStarting("ann"))  // what is held is not replaced
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") != .reserved)
    }

    /// A read from the database that a release overtook is not loaded: it may hold the
    /// challenge that was just settled.
    @Test func aReadOvertakenByAReleaseIsNotLoaded() {
        let l = Self.ledger()
        let before = l.readStarting("ann")
        l.release(creator: "ann", invitee: "bo", game: "hive")  // Bo declined meanwhile
        #expect(!l.load("ann", .init(invitations: [ChallengeLedger.invitation("bo", "hive")]), readAt: before))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "hive") == .unknown, "read again")
        #expect(l.load("ann", .init(), readAt: l.readStarting("ann")))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "hive") == .reserved)
        l.forget("ann")
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "hive") == .unknown, "forgotten after an unknown outcome")
    }
}
