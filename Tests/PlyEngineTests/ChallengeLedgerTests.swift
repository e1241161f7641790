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
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .unknown)
        l.load("ann", .init(), readAt: l.readStarting("ann"))
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .reserved)
    }

    @Test func capsHoldAndSettledChallengesFreeTheirPlace() {
        let l = Self.ledger()
        l.load("ann", .init(open: 1, invitations: [ChallengeLedger.invitation("bo", "hive")]), readAt: 0)
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .reserved)
        guard case .refused(let open) = l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) else {
            Issue.record("a third open challenge")
            return
        }
        #expect(open.code == .rateLimited)
        guard case .refused(let twice) = l.reserve(creator: "ann", invitee: "bo", game: "hive", now: 0) else {
            Issue.record("a second invitation to bo in hive")
            return
        }
        #expect(twice.message.contains("already"))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "khet", now: 0) == .reserved)
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "khet", now: 0) != .reserved, "two invitations wait already")
        l.release(creator: "ann", invitee: "bo", game: "hive")
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "khet", now: 0) == .reserved)
        l.release(creator: "ann", invitee: nil, game: "reversi")
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .reserved)
    }

    /// Invite, withdraw, invite again: nothing waits for long, but the hour counts each
    /// invitation that ended unanswered. Accepted ones (rematches) do not count.
    @Test func unansweredChallengesAreCountedPerHourInAllAndPerInvitedPlayer() {
        let l = ChallengeLedger(
            limits: ChallengeLimits(maximumChallengesPerHour: 6, maximumInvitationsPerOpponentPerHour: 2))
        func invite(_ who: String?, at t: Double, unanswered: Bool = true) -> ChallengeLedger.Reservation {
            l.load("ann", .init(), readAt: l.readStarting("ann"))
            let r = l.reserve(creator: "ann", invitee: who, game: "reversi", now: t)
            if r == .reserved { l.release(creator: "ann", invitee: who, game: "reversi", unanswered: unanswered, now: t) }
            return r
        }
        for t in 0..<5 { #expect(invite("bo", at: Double(t), unanswered: false) == .reserved, "rematch \(t)") }
        #expect(invite("bo", at: 10) == .reserved)
        #expect(invite("bo", at: 11) == .reserved)
        guard case .refused(let pair) = invite("bo", at: 20) else {
            Issue.record("a third unanswered invitation to bo within the hour")
            return
        }
        #expect(pair.code == .rateLimited && pair.message.contains("to one player"))
        // Others may still be invited, up to the hourly total; an hour later bo may be again.
        for (t, who) in [(30.0, "carl"), (40, "dan"), (50, "eve"), (60, "fay")] { #expect(invite(who, at: t) == .reserved) }
        guard case .refused(let total) = invite(nil, at: 70) else {
            Issue.record("a seventh unanswered challenge within the hour")
            return
        }
        #expect(total.code == .rateLimited && total.message.contains("an hour"))
        #expect(invite("bo", at: 3610.5) == .reserved)
        #expect(l.reserve(creator: "bo", invitee: "ann", game: "hive", now: 70) == .unknown, "another player's hour is their own")
        // 0 turns the limits off.
        let off = ChallengeLedger(limits: ChallengeLimits(maximumChallengesPerHour: 0, maximumInvitationsPerOpponentPerHour: 0))
        for t in 0..<20 {
            off.load("ann", .init(), readAt: off.readStarting("ann"))
            #expect(off.reserve(creator: "ann", invitee: "bo", game: "reversi", now: Double(t)) == .reserved)
            off.release(creator: "ann", invitee: "bo", game: "reversi", unanswered: true, now: Double(t))
        }
    }

    @Test func aPlayerWithNothingWaitingIsDroppedAndLoadsNoStaleFigures() {
        let l = Self.ledger()
        l.load("ann", .init(), readAt: l.readStarting("ann"))
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .reserved)
        l.release(creator: "ann", invitee: nil, game: "reversi")
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) == .unknown, "read again next time")
        l.load("ann", .init(open: 2), readAt: l.readStarting("ann"))
        l.load("ann", .init(open: 0), readAt: l.readStarting("ann"))  // what is held is not replaced
        #expect(l.reserve(creator: "ann", invitee: nil, game: "reversi", now: 0) != .reserved)
    }

    /// A read from the database that a release overtook is not loaded: it may hold the
    /// challenge that was just settled.
    @Test func aReadOvertakenByAReleaseIsNotLoaded() {
        let l = Self.ledger()
        let before = l.readStarting("ann")
        l.release(creator: "ann", invitee: "bo", game: "hive")  // Bo declined meanwhile
        #expect(!l.load("ann", .init(invitations: [ChallengeLedger.invitation("bo", "hive")]), readAt: before))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "hive", now: 0) == .unknown, "read again")
        #expect(l.load("ann", .init(), readAt: l.readStarting("ann")))
        #expect(l.reserve(creator: "ann", invitee: "bo", game: "hive", now: 0) == .reserved)
        l.forget("ann")
        #expect(l.reserve(creator: "ann", invitee: "carl", game: "hive", now: 0) == .unknown, "forgotten after an unknown outcome")
    }
}
