import Logging
import NIOCore
import PostgresNIO
import Synchronization

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
    /// The body runs in a task of its own. At the deadline a timer on an event loop cancels
    /// it (which ends a wait for a connection), the close `limited` scheduled for the same
    /// deadline ends a call already on a connection, and the caller is answered with
    /// `late(started)` (`started`: the body had a connection) whether or not the task has
    /// ended: a call PostgresNIO never completes (a query written to a connection that had
    /// just closed is dropped without an answer) must not hold its caller. One task, one
    /// timer and one small box per call: a task group racing a timer task would do the same
    /// for about 2 KB more heap per call in a login storm (`Scripts/bench` sessions).
    public func withConnection<T: Sendable>(
        late: @escaping @Sendable (_ started: Bool) -> any Error = { _ in DatabaseUnavailable() },
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = self.client
        let deadline = ContinuousClock.now + limit
        return try await FirstAnswer<T>.race(
            within: limit, on: PostgresClient.defaultEventLoopGroup.any(),
            atDeadline: { answer in late(answer.started) }
        ) { answer in
            do {
                return try await client.withConnection { conn in
                    answer.markStarted()
                    return try await Self.limited(conn, within: max(deadline - .now, .zero)) { try await body(conn) }
                }
            } catch let unknown as CommitOutcomeUnknown {
                throw unknown
            } catch {
                throw Task.isCancelled ? late(answer.started) : error
            }
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
    /// fails the call in flight at once. For a body already limited from outside (the pooled
    /// calls of `withConnection`).
    nonisolated(nonsending) public static func limited<T>(
        _ connection: PostgresConnection, within limit: Duration, _ body: () async throws -> T
    ) async throws -> T {
        let scheduled = connection.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            let _: EventLoopFuture<Void> = connection.close()
        }
        defer { scheduled.cancel() }
        return try await body()
    }

    /// Runs `body` on `connection` (a connection of the caller's own, such as a commit lane)
    /// and answers within `limit`: at the deadline the connection is closed and the caller
    /// gets `late()` even if the call never returns.
    public static func racing<T: Sendable>(
        _ connection: PostgresConnection, within limit: Duration, late: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await FirstAnswer<T>.race(
            within: limit, on: connection.eventLoop,
            atDeadline: { _ in
                let _: EventLoopFuture<Void> = connection.close()
                return late()
            }
        ) { _ in try await body() }
    }
}

/// The first of a call's outcome and its deadline, handed to the one caller waiting for it;
/// whichever comes second is dropped.
final class FirstAnswer<T: Sendable>: Sendable {
    private struct State {
        var waiter: CheckedContinuation<T, any Error>?
        var answer: Result<T, any Error>?
        var given = false
    }
    private let state = Mutex(State())
    private let startedFlag = Atomic<Bool>(false)

    /// The call got as far as a connection.
    func markStarted() { startedFlag.store(true, ordering: .relaxed) }
    var started: Bool { startedFlag.load(ordering: .relaxed) }

    func give(_ answer: Result<T, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard !s.given else { return nil }
            s.given = true
            guard let w = s.waiter else {
                s.answer = answer
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume(with: answer)
    }

    /// Runs `body` in a task of its own and returns its outcome, or, if `limit` passes first,
    /// cancels it and throws what `atDeadline` gives (run on `loop`'s timer), without waiting
    /// for the task to end. A caller that is cancelled is answered the same way at once (a
    /// stop past its time limit does not wait for a call PostgreSQL holds).
    static func race(
        within limit: Duration, on loop: any EventLoop, atDeadline: @escaping @Sendable (FirstAnswer<T>) -> any Error,
        _ body: @escaping @Sendable (FirstAnswer<T>) async throws -> T
    ) async throws -> T {
        let answer = FirstAnswer<T>()
        let work = Task {
            do { answer.give(.success(try await body(answer))) } catch { answer.give(.failure(error)) }
        }
        let timer = loop.scheduleTask(in: TimeAmount(limit)) {
            work.cancel()
            answer.give(.failure(atDeadline(answer)))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await answer.value()
        } onCancel: {
            work.cancel()
            answer.give(.failure(atDeadline(answer)))
        }
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { c in
            let ready = state.withLock { s -> Result<T, any Error>? in
                if let a = s.answer { return a }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
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
