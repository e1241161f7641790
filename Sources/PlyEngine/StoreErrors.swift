import PlyProtocol
import PlyStore

extension PlyError {
    /// The protocol error for a failure that is not already one: the one place where the
    /// store's errors become what a client is told. An outage (or a commit whose outcome is
    /// unknown, which the match reads back) is `unavailable`, to retry, and so is a write
    /// fenced off because another server took over (the client reconnects to it); PostgreSQL refusing
    /// a statement, or anything else, is a bug: `internal`, with the details in the log.
    init(failure error: any Error) {
        if let e = error as? PlyError {
            self = e
            return
        }
        switch StoreError.classify(error)?.code {
        case .unavailable, .outcomeUnknown: self = .unavailable()
        case .fenced: self = PlyError(.unavailable, "this server is no longer the primary; reconnect and resume")
        case .refused, .missing, nil: self = PlyError(.internal, "something went wrong; nothing was lost")
        }
    }
}
