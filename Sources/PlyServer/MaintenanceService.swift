import PlyEngine
import ServiceLifecycle

/// Runs deadline polling and eviction once the schema is in place, until graceful shutdown.
struct MaintenanceService: Service {
    let engine: Engine
    let schemaReady: AsyncStream<Void>

    func run() async throws {
        for await _ in schemaReady {}  // finishes when migrations are done
        await cancelWhenGracefulShutdown {
            await engine.runMaintenance()
        }
    }
}
