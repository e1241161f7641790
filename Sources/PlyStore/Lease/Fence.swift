import Metrics
import PostgresNIO
import Synchronization

/// The epoch this server writes under, shared by everything that writes: the writer sends it
/// with each commit and lazy flush, and PostgreSQL refuses them (`ply_check_epoch`, SQLSTATE
/// `PY001`) once another server has taken the primary lease. A negative epoch means the
/// server runs without a lease (a single server, tests): nothing is checked.
public final class Fence: Sendable {
    private let value = Atomic<Int64>(-1)
    private let lostFlag = Atomic<Bool>(false)
    private let signal: AsyncStream<Void>.Continuation
    /// Yields once, when the server first learns it lost the lease.
    public let lost: AsyncStream<Void>

    public init() {
        (lost, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The epoch to send; -1 while no lease is held.
    public var epoch: Int64 { value.load(ordering: .acquiring) }
    public var isLost: Bool { lostFlag.load(ordering: .acquiring) }

    /// The lease is held from `epoch` on.
    public func hold(epoch: Int64) {
        value.store(epoch, ordering: .releasing)
        Gauge(label: Self.metric).record(epoch)
    }

    /// Another server holds the lease: nothing more may be written.
    public func lose() {
        if lostFlag.exchange(true, ordering: .acquiringAndReleasing) == false {
            Gauge(label: Self.metric).record(-1)
            signal.yield()
            signal.finish()
        }
    }

    /// The Prometheus gauge of the epoch held (-1 once lost; absent without a lease).
    static let metric = "ply_lease_epoch"

    /// The SQLSTATE of a write refused because its epoch no longer holds the lease.
    public static let sqlState = "PY001"

    /// Whether PostgreSQL refused `error`'s statement because its epoch was fenced.
    public static func isFenced(_ error: any Error) -> Bool {
        serverRefusal(in: error)?.serverInfo?[.sqlState] == sqlState
    }
}
