import PlyStore
import Synchronization

/// How late the event loops run what is due: each loop is probed several times a second
/// (`LoopLagService`), and a probe's lateness is the time the loop spent on other work
/// (network handlers, actors, which all run on these loops) before it got to it. A loop
/// that is blocked or overloaded shows here before anything else does.
public final class EventLoopLag: Sendable {
    private let recent: Mutex<RecentDurations>

    /// `capacity`: probes kept, about a minute's worth by default (two loops, ten a second).
    public init(capacity: Int = 1200) {
        recent = Mutex(RecentDurations(capacity: capacity))
    }

    public func record(seconds: Double) {
        recent.withLock { $0.record(seconds: max(0, seconds)) }
    }

    /// The probes kept, in milliseconds.
    public func summary() -> LatencySummary { recent.withLock { $0.summary() } }
}
