import PlyStore
import ServiceLifecycle

/// Runs the database writer's flush timer; on graceful shutdown (after the listener has
/// answered every request) it flushes every lazy write before the database client closes.
struct WriterService: Service {
    let writer: DatabaseWriter

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await writer.run()
        }
        await writer.flushAll()
    }
}
