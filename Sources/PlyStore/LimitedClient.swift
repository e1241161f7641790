import Logging
import NIOCore
import PostgresNIO

/// Calls to PostgreSQL within a time limit, so a server that is down or has stopped answering
/// is an error (`DatabaseUnavailable`), never a hang. Every read of the stores and every write
/// of `DatabaseWriter` goes through here.
///
/// Two waits are limited. The wait for a pooled connection: the pool keeps trying to connect
/// to a server that is down and lets its callers wait meanwhile, so that wait is cancelled
/// when the time is up. And the calls on a connection: cancelling those is not enough, since a
/// call to a server that stopped answering (a suspended backend, a network black hole) does
/// not return until the connection ends, so the connection is closed (the pool replaces it).
public struct LimitedClient: Sendable {
    public let client: PostgresClient
    public let limit: Duration

    public init(_ client: PostgresClient, limit: Duration = .seconds(5)) {
        self.client = client
        self.limit = limit
    }

    /// Runs `body` on a pooled connection; the lease and the calls together get `limit`.
    ///
    /// The body runs in a task of its own that a timer on an event loop cancels at the
    /// deadline (cancelling ends the wait for a connection); a call already on a connection
    /// is ended by the close `limited` schedules for the same deadline, and its own outcome (a
    /// late success, an error, an unknown commit) is the one reported. One task and one timer
    /// per call: a task group racing a timer task cost 2 KB of heap per session during a
    /// login storm (`Scripts/bench` sessions), for the same effect.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = self.client
        let deadline = ContinuousClock.now + limit
        let work = Task {
            try await client.withConnection { conn in
                try await Self.limited(conn, within: max(deadline - .now, .zero)) { try await body(conn) }
            }
        }
        let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: Self.nanoseconds(limit)) { work.cancel() }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            do {
                return try await work.value
            } catch let unknown as CommitOutcomeUnknown {
                throw unknown
            } catch {
                if work.isCancelled { throw DatabaseUnavailable() }
                throw error
            }
        } onCancel: {
            work.cancel()
        }
    }

    /// Runs `query` and reads all its rows (the connection goes back to the pool before they
    /// are decoded): `for try await x in try await db.query(...).decode(X.self)`.
    public func query(_ query: PostgresQuery, logger: Logger) async throws -> FetchedRows {
        try await withConnection { conn in
            var rows: [PostgresRow] = []
            for try await row in try await conn.query(query, logger: logger) { rows.append(row) }
            return FetchedRows(rows: rows)
        }
    }

    /// Runs `body` on `connection` within `limit`: past it the connection is closed, which
    /// fails the call in flight at once.
    nonisolated(nonsending) public static func limited<T>(
        _ connection: PostgresConnection, within limit: Duration, _ body: () async throws -> T
    ) async throws -> T {
        let scheduled = connection.eventLoop.scheduleTask(in: nanoseconds(limit)) {
            let _: EventLoopFuture<Void> = connection.close()
        }
        defer { scheduled.cancel() }
        return try await body()
    }
}

extension LimitedClient {
    static func nanoseconds(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The rows of a finished query, read as the rows of a live one are (`decode` and all).
public struct FetchedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    public let rows: [PostgresRow]

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}
