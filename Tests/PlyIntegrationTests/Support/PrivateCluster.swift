import Foundation
import PlyStore
import Testing

/// A PostgreSQL cluster of a test's own, made with the same script functions as
/// `Scripts/serve`, for tests that stop and start the database.
struct PrivateCluster {
    let dir: String
    let port: Int

    var url: DatabaseURL { get throws { try DatabaseURL("postgres://ply@127.0.0.1:\(port)/ply") } }

    static func make() async throws -> PrivateCluster {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ply-cluster-\(UUID().uuidString.prefix(8))").path
        let port = freePort()
        let c = PrivateCluster(dir: dir, port: port)
        try await c.script("mkdir -p \"$1\" && chmod 755 \"$1\" && PLY_PG_FSYNC=off ply_pg_start \"$1\" \"$2\"")
        return c
    }

    func start() async throws { try await script("ply_pg_start \"$1\" \"$2\"") }
    func stop() async throws { try await script("ply_pg_stop \"$1\"") }
    func remove() async {
        try? await stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs a shell snippet with the script library loaded, on a plain thread with
    /// `system`: Foundation's `Process` does not report the exit of a child whose own
    /// children (the postgres server) live on, when waited for from Swift concurrency.
    private func script(_ body: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let command = "/bin/bash -c 'source \"\(root.path)/Scripts/lib/common.sh\" && \(body)' bash \"\(dir)\" \(port) </dev/null >/dev/null 2>&1"
        let status: Int32 = await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: system(command)) }
        }
        guard status == 0 else { throw TestFailure("cluster script failed (\(status)): \(body)") }
    }
}
