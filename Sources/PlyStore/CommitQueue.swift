/// The group-commit decision, kept free of I/O so it can be tested alone: while one
/// commit is in flight, new units wait and go together in the next one. A lone unit
/// starts at once; no timer ever delays a commit.
public struct CommitQueue<Unit>: Sendable where Unit: Sendable {
    public private(set) var waiting: [Unit] = []
    public private(set) var inFlight = false
    /// Most units in one transaction; the rest wait for the next.
    public let maximumBatch: Int

    public init(maximumBatch: Int = 1024) {
        precondition(maximumBatch > 0)
        self.maximumBatch = maximumBatch
    }

    /// Adds a unit; returns the batch to commit now, if the writer was idle.
    public mutating func enqueue(_ unit: Unit) -> [Unit]? {
        waiting.append(unit)
        return inFlight ? nil : takeBatch()
    }

    /// The commit in flight finished; returns the next batch, if any waits.
    public mutating func commitFinished() -> [Unit]? {
        precondition(inFlight, "no commit was in flight")
        inFlight = false
        return waiting.isEmpty ? nil : takeBatch()
    }

    private mutating func takeBatch() -> [Unit] {
        inFlight = true
        let n = min(waiting.count, maximumBatch)
        let batch = Array(waiting.prefix(n))
        waiting.removeFirst(n)
        return batch
    }
}
