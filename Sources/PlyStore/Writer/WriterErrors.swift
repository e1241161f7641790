import Foundation
import Logging
import PostgresNIO

/// How critical writes reach PostgreSQL.
public enum Durability: String, Sendable, CaseIterable {
    /// Group commit: while a transaction is in flight, new writes wait and share the next.
    case grouped
    /// Each write in its own transaction the moment it arrives, as a simple REST-plus-SQL
    /// backend would; the baseline the benchmarks compare against.
    case perMove = "per-move"
}

/// Why a critical write did not commit. Nothing of it is in the database.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the database is unreachable" }
}

public struct CommitFailure: Error, CustomStringConvertible {
    public var underlying: any Error
    public var description: String { "commit failed: \(String(reflecting: underlying))" }
    /// The writes may be durable after all: the `COMMIT` had left when the connection failed
    /// or timed out. Whoever holds their state in memory must read it back from the database.
    public var outcomeUnknown: Bool { underlying is CommitOutcomeUnknown }
}

/// A `COMMIT` was sent and no answer came (the connection failed or timed out): the
/// transaction may or may not be durable, and only reading it back can tell.
public struct CommitOutcomeUnknown: Error, CustomStringConvertible {
    public var underlying: any Error
    public var description: String { "no answer to COMMIT: \(String(reflecting: underlying))" }
}

/// The error PostgreSQL itself answered with (a statement it refused), looking inside the
/// wrappers of transactions and commits; nil when the server was not reached, or answered
/// that it cannot serve now (`isTransient`).
public func serverRefusal(in error: any Error) -> PSQLError? {
    switch error {
    case let e as PSQLError:
        return e.serverInfo != nil && !isTransient(e) ? e : nil
    case let t as PostgresTransactionError:
        for inner in [t.closureError, t.beginError, t.commitError, t.rollbackError] {
            if let inner, let e = serverRefusal(in: inner) { return e }
        }
        return nil
    case let c as CommitFailure:
        return serverRefusal(in: c.underlying)
    default:
        return nil
    }
}

/// An error by which PostgreSQL says it is going away rather than that it refuses the
/// statement: a connection exception (class 08) or operator intervention (57: shutting
/// down, starting up, a terminated backend). Like a dropped connection it is an outage,
/// not a bug. (Too many clients, 53300, stays a refusal: the server is up, and the next
/// commit simply tries again.)
func isTransient(_ e: PSQLError) -> Bool {
    guard let state = e.serverInfo?[.sqlState] else { return false }
    return ["08", "57"].contains(String(state.prefix(2)))
}
