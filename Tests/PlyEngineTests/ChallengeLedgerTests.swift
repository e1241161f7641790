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
        l.load("ann", .init())
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
    }

    @Test func capsHoldAndSettledChallengesFreeTheirPlace() {
        let l = Self.ledger()
        l.load("ann", .init(open: 1, invitations: [ChallengeLedger.invitation("bo", "hive")]))
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
        l.load("ann", .init())
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .reserved)
        l.release(creator: "ann", invitee: nil, game: "reversi")
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") == .unknown, "read again next time")
        l.load("ann", .init(open: 2))
        l.load("ann", .init(open: 0))  // an older read does not replace what is held
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi") != .reserved)
    }
}
