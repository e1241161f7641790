import PostgresNIO

/// What went wrong with PostgreSQL, in the terms the engine acts on. Every failure of the
/// store's calls classifies as one of these (`StoreError.classify`), so the engine maps
/// them to protocol errors in one place instead of inspecting driver errors.
public struct StoreError: Error, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The database could not be reached: nothing was written; retrying later may work.
        case unavailable
        /// A commit was sent and no answer came: it may be durable. Whoever holds the state
        /// in memory must read it back.
        case outcomeUnknown
        /// PostgreSQL refused the statement (a constraint, a type): a bug, not an outage.
        case refused
        /// A row the store expected was not there (a sequence that returned nothing).
        case missing
        /// Another server took the primary lease: this one may write nothing more
        /// (`Fence`). Nothing of the refused write is in the database.
        case fenced
    }

    public var code: Code
    public var underlying: (any Error)?

    public init(_ code: Code, underlying: (any Error)? = nil) {
        self.code = code
        self.underlying = underlying
    }

    public var description: String { "\(code): \(underlying.map { String(reflecting: $0) } ?? "")" }

    /// The store's view of an error from one of its calls; nil for an error that is not the
    /// store's (a rule, a protocol error).
    public static func classify(_ error: any Error) -> StoreError? {
        if Fence.isFenced(error) { return StoreError(.fenced, underlying: error) }
        switch error {
        case let e as StoreError:
            return e
        case is DatabaseUnavailable:
            return StoreError(.unavailable, underlying: error)
        case let c as CommitFailure:
            if serverRefusal(in: c) != nil { return StoreError(.refused, underlying: c) }
            return StoreError(c.outcomeUnknown ? .outcomeUnknown : .unavailable, underlying: c)
        case is CommitOutcomeUnknown:
            return StoreError(.outcomeUnknown, underlying: error)
        case let e as PSQLError:
            return StoreError(serverRefusal(in: e) == nil ? .unavailable : .refused, underlying: e)
        case is PostgresTransactionError:
            return StoreError(serverRefusal(in: error) == nil ? .unavailable : .refused, underlying: error)
        default:
            return nil
        }
    }
}
