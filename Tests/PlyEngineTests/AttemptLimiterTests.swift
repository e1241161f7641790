import PlyEngine
import Testing

@Suite struct AttemptLimiterTests {
    @Test func allowsUpToTheLimitWithinTheWindow() {
        var l = AttemptLimiter(limit: 2, window: 60)
        let allowed1 = l.allows("a", now: 0)
        #expect(allowed1)
        l.record("a", now: 0)
        l.record("a", now: 10)
        let allowed2 = l.allows("a", now: 20)
        #expect(!allowed2, "two within the minute")
        let allowed3 = l.allows("b", now: 20)
        #expect(allowed3, "keys are apart")
        let allowed4 = l.allows("a", now: 60)
        #expect(allowed4, "the first has left the window")
    }

    /// `admit` records an attempt only when it may go ahead.
    @Test func admitRecordsOnlyWhatGoesAhead() {
        var l = AttemptLimiter(limit: 2, window: 60)
        let results = (0..<4).map { _ in l.admit("a", now: 1) }
        #expect(results == [true, true, false, false])
        #expect(l.held("a") == 2)
    }

    /// A key that goes on failing past its limit (a token guesser that is only slowed) holds
    /// `limit` times, however many it records, and is refused and let go at the same moments.
    @Test func aKeyHoldsNoMoreThanItsLimit() {
        var l = AttemptLimiter(limit: 3, window: 60)
        for t in 0..<1000 { l.record("a", now: Double(t)) }
        #expect(l.held("a") == 3)
        let refused = l.allows("a", now: 1000)
        #expect(!refused, "the newest three are within the minute")
        let stillRefused = l.allows("a", now: 1056.5)
        #expect(!stillRefused, "997 is still within it")
        let allowed = l.allows("a", now: 1057)
        #expect(allowed, "997 has left: two remain")
    }

    /// An attempt counted in advance and taken back no longer counts; another at the same
    /// moment still does.
    @Test func withdrawTakesBackOneAttempt() {
        var l = AttemptLimiter(limit: 2, window: 60)
        l.record("a", now: 5)
        l.record("a", now: 5)
        l.withdraw("a", recordedAt: 5)
        let allowed5 = l.allows("a", now: 6)
        #expect(allowed5)
        // One of the two is left: one more reaches the limit.
        l.record("a", now: 6)
        let full = l.allows("a", now: 6)
        #expect(!full)
        l.withdraw("a", recordedAt: 6)
        l.withdraw("a", recordedAt: 5)
        l.withdraw("a", recordedAt: 5)  // nothing left to take back
        #expect(l.trackedKeys == 0)
        l.record("a", now: 7)
        l.record("a", now: 8)
        let allowed6 = l.allows("a", now: 9)
        #expect(!allowed6)
    }

    /// The player's and the address's limits hold together: either one full refuses, a
    /// refused attempt counts in neither, and a withdrawn one frees both.
    @Test func aPlayerAndAddressLimitNeedsBoth() {
        var l = PlayerAndAddressLimit(perPlayer: 2, perAddress: 3, window: 60)
        let ok1 = l.admit(player: "p1", address: "a", now: 0)
        #expect(ok1)
        let ok2 = l.admit(player: "p1", address: "a", now: 1)
        #expect(ok2)
        let ok3 = l.admit(player: "p1", address: "a", now: 2)
        #expect(!ok3, "the player's two")
        let ok4 = l.admit(player: "p2", address: "a", now: 3)
        #expect(ok4, "the refused one did not count for the address")
        let ok5 = l.admit(player: "p3", address: "a", now: 4)
        #expect(!ok5, "the address's three")
        let ok6 = l.admit(player: "p3", address: "b", now: 5)
        #expect(ok6)
        l.withdraw(player: "p1", address: "a", recordedAt: 1)
        let ok7 = l.admit(player: "p1", address: "a", now: 6)
        #expect(ok7, "a withdrawn attempt frees both")
        let ok8 = l.admit(player: "p1", address: "a", now: 61)
        #expect(ok8, "the window passed")
    }
}
