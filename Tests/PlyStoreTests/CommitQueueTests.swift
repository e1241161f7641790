import PlyStore
import Testing

@Suite struct CommitQueueTests {
    @Test func aLoneUnitStartsAtOnce() {
        var q = CommitQueue<Int>()
        #expect(q.enqueue(1) == [1])
        #expect(q.inFlight)
        #expect(q.commitFinished() == nil)
        #expect(!q.inFlight)
    }

    @Test func unitsArrivingDuringACommitShareTheNext() {
        var q = CommitQueue<Int>()
        #expect(q.enqueue(1) == [1])
        for i in 2...50 { #expect(q.enqueue(i) == nil, "waits while a commit is in flight") }
        #expect(q.commitFinished() == Array(2...50))
        #expect(q.enqueue(51) == nil)
        #expect(q.commitFinished() == [51])
        #expect(q.commitFinished() == nil)
    }

    @Test(arguments: [1, 3, 100])
    func batchesAreBounded(maximum: Int) {
        var q = CommitQueue<Int>(maximumBatch: maximum)
        _ = q.enqueue(0)
        for i in 1...250 { _ = q.enqueue(i) }
        var seen: [Int] = [0]
        while let batch = q.commitFinished() {
            #expect(batch.count <= maximum)
            seen += batch
        }
        #expect(seen == Array(0...250), "every unit once, in arrival order")
    }
}
