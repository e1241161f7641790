import Foundation
import Logging
import PlyStore
import PostgresNIO

/// `ply bench poll`: the time of one deadline poll (the queries `MatchDirectory.expireOverdue`
/// makes each second: overdue matches, due `deadline_soon` reminders, stale open challenges)
/// with many stored matches, some on correspondence clocks.
///
/// Seeds `ColdSeed` matches, gives every waiting one a reminder time a day before its
/// deadline (as a move would), and puts `clocked` of them on clocks whose deadlines fall in
/// the next hour and whose reminders are spread over it, a few seconds' worth already due
/// (left unsent, so every poll finds a full batch of them, as a busy server would).
public enum PollBench {
    public static let clockSettings = #"{"side":"first","clock":{"initial":86400,"increment":3600,"max":172800}}"#

    public static func run(matches: Int, clocked: Int, polls: Int, databaseURL: String) async throws -> BenchReport {
        let url = try DatabaseURL(databaseURL)
        let seedClock = ContinuousClock.now
        let seeded = try await ColdBench.seed(matches: matches, databaseURL: databaseURL)
        var logger = Logger(label: "ply.bench.poll")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: BenchReport?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let waiting = (matches + 1) / 2
            let n = min(clocked, waiting)
            try await client.query(
                """
                UPDATE matches SET remind_at = deadline - interval '1 day'
                WHERE id LIKE 'cold-m%' AND status = 'active' AND remind_at IS NULL
                """, logger: logger)
            if n > 0 {
                try await client.query(
                    """
                    UPDATE matches m SET settings = \(clockSettings)::json, clock_banks = ARRAY[86400, 86400]::bigint[],
                        deadline = now() + make_interval(secs => 120 + (k % 3600)),
                        remind_at = now() + make_interval(secs => (k % 3600) - 10)
                    FROM generate_series(0, \(n - 1)) AS k WHERE m.id = 'cold-m' || (2 * k + 1)
                    """, logger: logger)
            }
            try await client.query("ANALYZE matches", logger: logger)
            let prepare = (ContinuousClock.now - seedClock).seconds
            let store = MatchStore(client: client, logger: logger)
            let safety = SafetyStore(client: client, logger: logger)
            var times: [Double] = []
            var found = 0
            let clock = ContinuousClock()
            for _ in 0..<(polls + 5) {
                let started = clock.now
                let now = Date()
                found += try await store.overdue(now: now).count
                found += try await store.dueReminders(now: now).count
                found += try await safety.expiredOpenChallenges(before: now.addingTimeInterval(-7 * 86400)).count
                times.append((clock.now - started).seconds * 1000)
            }
            let summary = LatencySummary(sorted: times.dropFirst(5).sorted())  // the first five warm the plans
            return BenchReport(
                title: "poll, \(matches) matches, \(n) on clocks",
                figures: [
                    ("matches", Double(matches)), ("clocked", Double(n)), ("seeded", Double(seeded)),
                    ("prepare_s", prepare), ("polls", Double(summary.count)), ("poll_p50_ms", summary.p50),
                    ("poll_p99_ms", summary.p99), ("poll_max_ms", summary.max),
                    ("due_per_poll", Double(found) / Double(polls + 5)),
                ])
        }
    }
}
