import Foundation
import PlyStore
import Testing

@Suite struct WriteSchedulerTests {
    typealias S = WriteScheduler<Int>

    func isCritical(_ ds: [S.Decision], _ expected: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        guard ds.count == 1, case .critical(let units) = ds[0] else {
            Issue.record("expected a critical batch \(expected), got \(ds)", sourceLocation: sourceLocation)
            return
        }
        #expect(units == expected, sourceLocation: sourceLocation)
    }

    func lazyKeys(_ ds: [S.Decision]) -> [String]? {
        for d in ds { if case .lazy(let w) = d { return w.map(\.key) } }
        return nil
    }

    @Test func aLoneCriticalUnitStartsAtOnce() {
        var s = S()
        isCritical(s.enqueueCritical(1, now: 0), [1])
        #expect(s.criticalFinished(now: 0.001).isEmpty)
        #expect(s.isIdle)
    }

    @Test func criticalUnitsArrivingDuringACommitShareTheNext() {
        var s = S()
        isCritical(s.enqueueCritical(1, now: 0), [1])
        for i in 2...50 { #expect(s.enqueueCritical(i, now: 0).isEmpty, "waits while a commit is in flight") }
        isCritical(s.criticalFinished(now: 0.01), Array(2...50))
        #expect(s.enqueueCritical(51, now: 0.02).isEmpty)
        isCritical(s.criticalFinished(now: 0.03), [51])
        #expect(s.criticalFinished(now: 0.04).isEmpty)
    }

    @Test(arguments: [1, 3, 100])
    func batchesAreBounded(maximum: Int) {
        var c = S.Configuration()
        c.maximumBatch = maximum
        var s = S(configuration: c)
        _ = s.enqueueCritical(0, now: 0)
        for i in 1...250 { _ = s.enqueueCritical(i, now: 0) }
        var seen = [0]
        while let d = s.criticalFinished(now: 0).first {
            guard case .critical(let batch) = d else { Issue.record("unexpected lazy batch"); break }
            #expect(batch.count <= maximum)
            seen += batch
        }
        #expect(seen == Array(0...250), "every unit once, in arrival order")
    }

    @Test func tenChangesToOneRowBecomeOneWrite() {
        var s = S()
        for i in 0..<10 {
            let accepted = s.enqueueLazy(.name(player: "p1", name: "Ann \(i)"), now: Double(i) * 0.05)
            #expect(accepted)
        }
        #expect(s.lazyCount == 1)
        #expect(s.tick(now: 0.5).isEmpty, "not before the flush interval")
        guard case .lazy(let writes)? = s.tick(now: 1.0).first else {
            Issue.record("expected a lazy flush")
            return
        }
        #expect(writes == [.name(player: "p1", name: "Ann 9")], "the latest value wins")
        #expect(s.hasPendingLazy(player: "p1"), "pending until the flush finished")
        #expect(s.lazyFinished(now: 1.01).isEmpty)
        #expect(!s.hasPendingLazy(player: "p1"))
    }

    @Test func criticalWritesGoFirst() {
        var s = S()
        _ = s.enqueueLazy(.lastSeen(player: "p1", at: Date()), now: 0)
        isCritical(s.enqueueCritical(1, now: 1.2), [1])
        _ = s.enqueueCritical(2, now: 1.25)
        isCritical(s.criticalFinished(now: 1.3), [2])
        #expect(lazyKeys(s.criticalFinished(now: 1.4)) == ["seen p1"], "lazy goes once nothing critical waits")
    }

    @Test func lazyWritesCannotStarve() throws {
        var s = S()
        _ = s.enqueueLazy(.data(player: "p2", json: "{}"), now: 0)
        isCritical(s.enqueueCritical(0, now: 0), [0])
        var t = 0.0
        var flushedAt: Double?
        // Critical work arrives faster than it commits, forever.
        while t < 10, flushedAt == nil {
            t += 0.1
            let d = s.enqueueCritical(Int(t * 10), now: t) + s.criticalFinished(now: t)
            if lazyKeys(d) != nil { flushedAt = t }
        }
        let at = try #require(flushedAt, "the lazy write never went while critical work kept arriving")
        #expect(at <= S.Configuration().maximumLazyAge + 0.1, "flushed at \(at)")
    }

    @Test func aFailedLazyFlushIsKeptAndRetriedAfterBackoff() {
        var s = S()
        _ = s.enqueueLazy(.name(player: "p1", name: "A"), now: 0)
        _ = s.enqueueLazy(.name(player: "p2", name: "B"), now: 0)
        guard case .lazy? = s.tick(now: 1).first else {
            Issue.record("expected a flush")
            return
        }
        // While the flush is out, p1 changes again: the newer value must survive the failure.
        _ = s.enqueueLazy(.name(player: "p1", name: "A2"), now: 1.1)
        #expect(s.lazyFinished(now: 1.2, failed: true, retryAfter: 2).isEmpty, "backing off")
        #expect(s.lazyCount == 2)
        #expect(s.tick(now: 2.0).isEmpty)
        guard case .lazy(let retry)? = s.tick(now: 3.3).first else {
            Issue.record("expected the retry")
            return
        }
        #expect(Set(retry) == [.name(player: "p1", name: "A2"), .name(player: "p2", name: "B")])
        _ = s.lazyFinished(now: 3.4)
        #expect(!s.hasPendingLazy(player: "p1") && !s.hasPendingLazy(player: "p2"))
    }

    /// The timer's next moment: the oldest lazy write's flush time; once that passed with
    /// critical work in the way, the moment it starves; none while a flush is out or nothing
    /// lazy waits; never before a retry's backoff ends.
    @Test func theTimerWakesOnlyWhenAFlushCanBeDue() {
        var s = S()
        #expect(s.nextWake(now: 0) == nil, "nothing waits: no timer")
        _ = s.enqueueLazy(.lastSeen(player: "p1", at: Date()), now: 0.5)
        _ = s.enqueueLazy(.lastSeen(player: "p2", at: Date()), now: 0.9)
        #expect(s.nextWake(now: 0.9) == 1.5, "the oldest write's flush time")
        isCritical(s.enqueueCritical(1, now: 1.4), [1])
        _ = s.enqueueCritical(2, now: 1.45)
        #expect(s.tick(now: 1.5).isEmpty, "deferred behind critical work")
        #expect(s.nextWake(now: 1.5) == 2.5, "at the latest when it starves")
        guard case .lazy? = s.tick(now: 2.5).first else {
            Issue.record("a starving write goes out")
            return
        }
        #expect(s.nextWake(now: 2.5) == nil, "the flush in flight decides next")
        _ = s.enqueueLazy(.lastSeen(player: "p3", at: Date()), now: 2.6)
        _ = s.lazyFinished(now: 2.7, failed: true, retryAfter: 5)
        #expect(s.nextWake(now: 2.7) == 7.7, "not before the backoff ends")
    }

    @Test func theLazyQueueIsBounded() {
        var c = S.Configuration()
        c.maximumLazyRows = 3
        var s = S(configuration: c)
        for i in 0..<3 {
            let accepted = s.enqueueLazy(.lastSeen(player: "p\(i)", at: Date()), now: 0)
            #expect(accepted)
        }
        let refused = s.enqueueLazy(.lastSeen(player: "p9", at: Date()), now: 0)
        #expect(!refused, "a new row is refused when full")
        let coalesced = s.enqueueLazy(.lastSeen(player: "p1", at: Date()), now: 0)
        #expect(coalesced, "an existing row still coalesces")
    }

    @Test func drainFlushesEverythingAtOnce() {
        var s = S()
        _ = s.enqueueLazy(.eventSeq(player: "p1", seq: 4), now: 0)
        #expect(s.tick(now: 0.1).isEmpty)
        #expect(lazyKeys(s.drain(now: 0.1)) == ["seq p1"])
    }

    @Test func severalCriticalSlotsFillBeforeBatching() {
        var c = S.Configuration()
        c.maximumCriticalInFlight = 2
        var s = S(configuration: c)
        isCritical(s.enqueueCritical(1, now: 0), [1])
        isCritical(s.enqueueCritical(2, now: 0), [2])
        for i in 3...9 { #expect(s.enqueueCritical(i, now: 0).isEmpty, "both slots busy: wait") }
        isCritical(s.criticalFinished(now: 0.01), Array(3...9))
        #expect(s.criticalInFlight == 2)
        #expect(s.criticalFinished(now: 0.02).isEmpty)
        #expect(s.criticalFinished(now: 0.03).isEmpty)
        #expect(s.isIdle)
    }
}

extension WriteScheduler.Decision: Equatable where Unit: Equatable {
    public static func == (l: Self, r: Self) -> Bool {
        switch (l, r) {
        case (.critical(let a), .critical(let b)): a == b
        case (.lazy(let a), .lazy(let b)): a == b
        default: false
        }
    }
}
