import Foundation
import Logging
import PostgresNIO

/// How long the primary lease lasts and how often it is renewed and polled, from
/// `--failover-seconds`: a standby takes over at most `worstTakeover` after the primary's
/// last renewal, which is within the failover time, and the primary renews six times per
/// lifetime, so a few late renewals (a busy host) do not lose it.
public struct LeaseTiming: Sendable, Equatable {
    public var failoverSeconds: Double

    public init(failoverSeconds: Double) {
        self.failoverSeconds = failoverSeconds
    }

    /// How long a renewal keeps the lease.
    public var lifetime: Double { failoverSeconds * 0.75 }
    /// How often the holder renews it.
    public var renewEvery: Double { failoverSeconds / 8 }
    /// How often a waiting server tries to take it.
    public var pollEvery: Double { min(0.1, failoverSeconds / 20) }
    /// The longest from the holder's death to a takeover: a lease renewed just before the
    /// death, then the poll that finds it expired.
    public var worstTakeover: Double { lifetime + pollEvery }

    /// The range `--failover-seconds` accepts.
    public static let allowedSeconds = 0.5...600.0
}

/// The primary lease (Schema/009, `ply_lease`): one row naming the server that may write and
/// its epoch. PostgreSQL's clock decides expiry, so the servers' clocks never matter.
///
/// A lease row with an expiry, rather than a session advisory lock: a paused primary
/// (SIGSTOP, a stall) keeps its connection, and so would keep an advisory lock, for as long
/// as the kernel keeps answering for it; a lease simply expires, and its epoch fences the
/// paused server's writes when it wakes.
public struct PrimaryLease: Sendable {
    public let holder: String
    public let timing: LeaseTiming
    let database: LimitedClient
    let logger: Logger

    public init(client: PostgresClient, holder: String, timing: LeaseTiming, logger: Logger) {
        // A lease call slower than half a lifetime is as good as failed.
        database = LimitedClient(client, limit: .milliseconds(Int64(max(250, timing.lifetime * 500))))
        self.holder = holder
        self.timing = timing
        self.logger = logger
    }

    public enum Attempt: Sendable, Equatable {
        case taken(epoch: Int64)
        case held(by: String, until: Date)
    }

    /// Takes the lease if nobody holds it or it has expired (bumping the epoch), else says
    /// who holds it. Two servers trying at once: the row lock orders them, and the second
    /// finds the lease held.
    public func tryTake() async throws -> Attempt {
        let (holder, lifetime) = (self.holder, timing.lifetime)
        let taken = try await database.query(
            """
            INSERT INTO ply_lease AS l (epoch, holder, expires_at)
            VALUES (1, \(holder), now() + make_interval(secs => \(lifetime)))
            ON CONFLICT (one) DO UPDATE SET epoch = l.epoch + 1, holder = EXCLUDED.holder, taken_at = now(),
                expires_at = EXCLUDED.expires_at
            WHERE l.expires_at <= now()
            RETURNING epoch
            """, logger: logger)
        for try await epoch in taken.decode(Int64.self) { return .taken(epoch: epoch) }
        let current = try await database.query("SELECT holder, expires_at FROM ply_lease", logger: logger)
        for try await (by, until) in current.decode((String, Date).self) { return .held(by: by, until: until) }
        return .held(by: "nobody", until: Date())
    }

    /// Waits until the lease is taken and returns its epoch; `waiting` hears who holds it
    /// (once per holder). Errors reaching PostgreSQL are logged and the wait goes on; it ends
    /// only by taking the lease or by cancellation.
    public func take(waiting: @Sendable (_ holder: String, _ until: Date) -> Void = { _, _ in }) async throws -> Int64 {
        var lastHolder: String?
        while true {
            try Task.checkCancellation()
            do {
                switch try await tryTake() {
                case .taken(let epoch):
                    return epoch
                case .held(let by, let until):
                    if by != lastHolder { waiting(by, until) }
                    lastHolder = by
                }
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("could not ask for the primary lease", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(Int64(timing.pollEvery * 1000)))
        }
    }

    /// Extends the lease held with `epoch`; false when that epoch no longer holds it.
    public func renew(epoch: Int64) async throws -> Bool {
        let lifetime = timing.lifetime
        let rows = try await database.query(
            """
            UPDATE ply_lease SET expires_at = now() + make_interval(secs => \(lifetime))
            WHERE epoch = \(epoch) RETURNING epoch
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Gives the lease up (a graceful stop): a waiting server takes it at its next poll.
    public func release(epoch: Int64) async throws {
        _ = try await database.query(
            "UPDATE ply_lease SET expires_at = '-infinity' WHERE epoch = \(epoch)", logger: logger)
    }
}
