import Foundation
import Logging
import PlyStore
import ServiceLifecycle

/// Configuration of the primary lease (`ply serve`'s `--standby`, `--failover-seconds`).
public struct LeaseConfiguration: Sendable {
    /// Waits for the lease with the line port open, turning connections away with `ERR
    /// unavailable standby` and answering `/healthz` with `503 standby`.
    public var standby = false
    public var timing = LeaseTiming(failoverSeconds: 5)
    /// How this server names itself in the lease row.
    public var holder = "\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)"

    public init() {}
}

/// The primary lease of a running server. The listener's preparation takes it (`take()`)
/// before the server accepts play, waiting while another server holds it; `run()` then
/// renews it until the server stops, and gives it up once the writer has flushed (the
/// services stop in reverse order, and this one comes right after the database client), so
/// a standby takes over at its next poll. Losing it (a renewal finds another epoch, or a
/// write is fenced) ends the server with an error: a server that cannot write must not
/// take requests.
public final class LeaseService: Service {
    let lease: PrimaryLease
    let fence: Fence
    let logger: Logger
    /// Told of each renewal that could not reach the database.
    let unreachable: @Sendable (any Error) async -> Void
    private let taken: AsyncStream<Int64>
    private let takenSink: AsyncStream<Int64>.Continuation

    public init(
        lease: PrimaryLease, fence: Fence, logger: Logger, unreachable: @escaping @Sendable (any Error) async -> Void = { _ in }
    ) {
        self.lease = lease
        self.fence = fence
        self.logger = logger
        self.unreachable = unreachable
        (taken, takenSink) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Waits until this server holds the lease, then has every write carry its epoch.
    func take() async throws {
        let logger = self.logger
        let epoch = try await lease.take(waiting: { holder, until in
            logger.notice("waiting for the primary lease", metadata: ["holder": "\(holder)", "until": "\(until)"])
        })
        fence.hold(epoch: epoch)
        logger.notice("primary lease taken", metadata: ["epoch": "\(epoch)", "holder": "\(lease.holder)"])
        takenSink.yield(epoch)
        takenSink.finish()
    }

    public func run() async throws {
        var held: Int64?
        for await epoch in taken.cancelOnGracefulShutdown() {
            held = epoch
            break
        }
        guard let epoch = held else { return }  // stopped before taking it
        let pause = Duration.milliseconds(Int64(lease.timing.renewEvery * 1000))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if fence.isLost { throw LeaseLost(epoch: epoch) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                if try await !lease.renew(epoch: epoch) {
                    fence.lose()
                    throw LeaseLost(epoch: epoch)
                }
            } catch let lost as LeaseLost {
                throw lost
            } catch {
                logger.warning("could not renew the primary lease", metadata: ["error": "\(error)"])
                await unreachable(error)
            }
        }
        guard !fence.isLost else { throw LeaseLost(epoch: epoch) }
        do {
            try await lease.release(epoch: epoch)
            logger.notice("primary lease released", metadata: ["epoch": "\(epoch)"])
        } catch {
            logger.warning("could not release the primary lease; it expires on its own", metadata: ["error": "\(error)"])
        }
    }
}

/// Another server took the primary lease: this one stops.
public struct LeaseLost: Error, CustomStringConvertible {
    public var epoch: Int64
    public var description: String {
        "another server took the primary lease (this server held epoch \(epoch)); it wrote nothing after that and stops"
    }
}
