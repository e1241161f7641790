import Logging
import PlyStore
import PostgresNIO
import Testing

/// Runs one SQL statement on its own short-lived client and returns the first column of
/// each row as text (cast in the SQL: `SELECT n::text ...`; NULL as "").
@discardableResult
func query(_ url: DatabaseURL, _ sql: String) async throws -> [String] {
    try await withClient(url) { client, _ in
        var out: [String] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql)) {
            if !row.isEmpty { out.append(try row.decode(String?.self) ?? "") }
        }
        return out
    }
}

/// Runs `body` with a short-lived client of its own on `url`.
func withClient<T: Sendable>(_ url: DatabaseURL, _ body: (PostgresClient, Logger) async throws -> T) async throws -> T {
    let logger = Logger(label: "ply.test.query")
    let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client, logger)
    }
}

/// Waits (up to 10 s) until `sql` returns at least `count` rows, as lazy writes and
/// flushes need; records an issue if it never does.
func waitFor(_ database: DatabaseURL, _ sql: String, count: Int) async throws {
    for _ in 0..<100 {
        if try await query(database, sql).count >= count { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("waited for \(count) rows of \(sql)")
}

/// Makes the `COMMIT` of any transaction that inserts a ply matching `condition` (SQL on
/// `NEW`, e.g. `NEW.move = 'f5'`) take `seconds`: a deferred constraint trigger runs at
/// commit time, so the commit is durable only after the sleep.
func slowCommitStatements(seconds: Int, when condition: String = "true") -> [String] {
    [
        """
        CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN PERFORM pg_sleep(\(seconds)); RETURN NULL; END $$
        """,
        """
        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON plies DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION slow_commit()
        """,
    ]
}

func slowCommits(_ url: DatabaseURL, seconds: Int, when condition: String = "true") async throws {
    for sql in slowCommitStatements(seconds: seconds, when: condition) { try await query(url, sql) }
}

/// Waits (up to 10 s) until a statement sleeps in this database (a commit held by
/// `slowCommits`, or any trigger calling `pg_sleep`).
func waitForSleepingCommit(_ url: DatabaseURL) async throws {
    try await waitFor(
        url, "SELECT pid::text FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()", count: 1)
}
