import NIOCore
import NIOEmbedded
@testable import PlyServer
import Synchronization
import Testing

/// Shutdown's bookkeeping of open connections, with test channels (no sockets).
@Suite struct LiveConnectionsTests {
    /// Once shutdown has told the open connections to finish, a connection admitted later
    /// (accepted just before the listener closed) is turned away instead of keeping the stop
    /// waiting; the stop returns when the last admitted one is released.
    @Test func aConnectionArrivingDuringShutdownIsTurnedAway() async throws {
        let live = LiveConnections(budget: ConnectionBudget(maximumTotal: 10, maximumPerAddress: 10))
        let open = NIOAsyncTestingChannel()
        #expect(live.admit(open, from: "10.0.0.1") == nil)
        let stopped = Flag()
        let stop = Task {
            await live.quiesceAll()
            stopped.set()
        }
        var late: LiveConnections.Refusal?
        for _ in 0..<400 where late == nil {
            try await Task.sleep(for: .milliseconds(5))
            late = live.admit(NIOAsyncTestingChannel(), from: "10.0.0.2")
        }
        #expect(late == .shuttingDown, "a connection admitted during the stop is refused")
        #expect(!stopped.isSet, "the open connection has not ended yet")
        live.release(open, from: "10.0.0.1")
        await stop.value
        #expect(stopped.isSet)
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    @Test func budgetRefusalsPassThrough() {
        let live = LiveConnections(budget: ConnectionBudget(maximumTotal: 1, maximumPerAddress: 1))
        #expect(live.admit(NIOAsyncTestingChannel(), from: "a") == nil)
        #expect(live.admit(NIOAsyncTestingChannel(), from: "b") == .budget(.serverFull))
    }
}
