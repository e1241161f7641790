import PlyEngine
import ServiceLifecycle

/// Runs deadline polling and eviction once the schema is in place, until graceful shutdown.
struct MaintenanceService: Service {
    let engine: Engine
    let schemaReady: AsyncStream<Void>

    func run() async throws {
        // Finishes when migrations are done and the lease is held; a server stopped while it
        // waits (in migrations, or for the lease) has nothing to maintain.
        for await _ in schemaReady.cancelOnGracefulShutdown() {}
        if Task.isShuttingDownGracefully || Task.isCancelled { return }
        await cancelWhenGracefulShutdown {
            await engine.runMaintenance()
        }
    }
}
