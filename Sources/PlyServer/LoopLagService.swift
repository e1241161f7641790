import NIOCore
import PlyEngine
import ServiceLifecycle
import Synchronization

/// Probes every event loop of `group` each `interval` with a scheduled task and records
/// how late it ran (`EventLoopLag`), until graceful shutdown.
struct LoopLagService: Service {
    let lag: EventLoopLag
    let group: any EventLoopGroup
    var interval = TimeAmount.milliseconds(100)

    func run() async throws {
        let stopped = Stopped()
        for loop in group.makeIterator() { probe(loop, stopped) }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        stopped.flag.store(true, ordering: .relaxed)
    }

    private final class Stopped: Sendable { let flag = Atomic<Bool>(false) }

    private func probe(_ loop: any EventLoop, _ stopped: Stopped) {
        let due = NIODeadline.now() + interval
        loop.scheduleTask(deadline: due) {
            lag.record(seconds: Double((NIODeadline.now() - due).nanoseconds) / 1e9)
            if !stopped.flag.load(ordering: .relaxed) { probe(loop, stopped) }
        }
    }
}
