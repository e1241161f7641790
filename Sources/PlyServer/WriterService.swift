import PlyStore
import ServiceLifecycle

/// Runs the database writer; on graceful shutdown (after the listener has answered every
/// request) it flushes every lazy write, then lets the writer end once its work in flight is
/// done, before the database client closes.
struct WriterService: Service {
    let writer: DatabaseWriter

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await writer.run() }
            try? await gracefulShutdown()
            await writer.flushAll()
            await writer.finish()
        }
    }
}
