import CoreMetrics
import Metrics

/// The writer's metrics, recorded where each thing happens (swift-metrics; the server's
/// Prometheus backend exports them under these names, and `STATS` shows the same figures).
/// Made with the writer, after the server has chosen its metrics backend (a metric made
/// before that choice stays a no-op).
struct StoreMetrics: Sendable {
    private let commits = Counter(label: "ply_commits")
    private let rowsCommitted = Counter(label: "ply_rows_committed")
    private let failedCommits = Counter(label: "ply_failed_commits")
    private let lazyFlushes = Counter(label: "ply_lazy_flushes")
    private let lazyRowsFlushed = Counter(label: "ply_lazy_rows_flushed")
    private let lazyRefused = Counter(label: "ply_lazy_refused")
    private let lastCommit = Gauge(label: "ply_last_commit_ms")
    private let lastFlush = Gauge(label: "ply_last_flush_ms")
    private let commitDuration = Timer(label: "ply_commit_duration")
    private let pendingCritical = Gauge(label: "ply_pending_critical_writes")
    private let pendingLazy = Gauge(label: "ply_pending_lazy_writes")
    private let databaseDown = Gauge(label: "ply_database_down")

    func committed(rows: Int, seconds: Double) {
        commits.increment()
        rowsCommitted.increment(by: rows)
        lastCommit.record(seconds * 1000)
        commitDuration.recordNanoseconds(Int64(seconds * 1e9))
    }

    func commitFailed() { failedCommits.increment() }

    func flushed(rows: Int, seconds: Double) {
        lazyFlushes.increment()
        lazyRowsFlushed.increment(by: rows)
        lastFlush.record(seconds * 1000)
    }

    func lazyWriteRefused() { lazyRefused.increment() }

    func queues(critical: Int, lazy: Int?) {
        pendingCritical.record(critical)
        if let lazy { pendingLazy.record(lazy) }
    }

    func database(down: Bool) { databaseDown.record(down ? 1 : 0) }
}
